import { ADVISORY_LOCKS } from '../../shared/db/advisory-locks';
import { resolveSyncDistrict } from '../../shared/roster/districts';
import { withClient } from '../support/db';
import { resetRoster } from '../support/roster';

beforeEach(resetRoster);

describe('advisory locks', () => {
  it('gives every use its own key', () => {
    const keys = Object.values(ADVISORY_LOCKS);

    expect(new Set(keys).size).toBe(keys.length);
  });

  it('lets a first sync make its district while a change transaction holds the feed seal (they once shared a key)', async () => {
    await withClient(async (committing) => {
      await committing.query('BEGIN');
      await committing.query('SELECT pg_advisory_xact_lock($1)', [ADVISORY_LOCKS.changeSeal]);
      try {
        const district = await withClient(async (sync) => {
          // Waiting for the seal would end in this error rather than a hung test.
          await sync.query(`SET lock_timeout = '2s'`);
          return resolveSyncDistrict(sync, undefined);
        });

        expect(district).toMatchObject({ districtId: expect.any(String), maxDeleteRatio: null });
      } finally {
        await committing.query('ROLLBACK');
      }
    });
  });
});
