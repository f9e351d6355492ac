import { getSequelize } from '../../shared/db/sequelize';
import { logger } from '../../shared/logger';
import { runRosterSync } from '../../shared/roster/sync';
import { withClient } from '../support/db';
import { createDistrict } from '../support/districts';
import { resetRoster, roster11, writeRoster, type Org, type User11 } from '../support/roster';

afterAll(() => getSequelize().close());
beforeEach(resetRoster);

jest.setTimeout(120_000);

const ROUNDS = 8;
const SHARED = 40;

/**
 * A district's roster: its own 30 people and the SHARED people both districts list (same emails, each
 * district's own sourcedIds, in an order of its own so the two runs meet the shared rows differently).
 */
function roster(prefix: string, reverse: boolean, withShared = true): Record<string, string> {
  const orgs: Org[] = [{ sourcedId: 'sch-1', name: `${prefix} North` }, { sourcedId: 'sch-2', name: `${prefix} South` }];
  const own: User11[] = Array.from({ length: 30 }, (_, i) => ({ sourcedId: `u-${i}`, givenName: `${prefix}${i}`, email: `${prefix}${i}@own.example`, orgs: ['sch-1'] }));
  const shared: User11[] = Array.from({ length: SHARED }, (_, i) => ({
    sourcedId: `${prefix}-s${i}`,
    givenName: `Shared${i}`,
    email: `shared${i}@both.example`,
    orgs: i % 2 ? ['sch-1', 'sch-2'] : ['sch-2'],
    role: 'guestLecturer',
  }));
  if (reverse) shared.reverse();
  return roster11(orgs, [...own, ...(withShared ? shared : [])]);
}

/** Memberships per district and live users, to compare with what both rosters say. */
async function outcome() {
  return withClient(async (c) => ({
    liveUsers: (await c.query(`SELECT count(*)::int AS n FROM users WHERE "deletedAt" IS NULL`)).rows[0].n,
    sharedUsers: (await c.query(`SELECT count(*)::int AS n FROM users WHERE email LIKE 'shared%' AND "deletedAt" IS NULL`)).rows[0].n,
    links: (await c.query(`SELECT d.name, count(*)::int AS n FROM user_schools l JOIN districts d USING ("districtId") GROUP BY 1 ORDER BY 1`)).rows,
  }));
}

describe('two districts syncing at once', () => {
  it(`neither deadlocks nor loses a membership or a removal while both touch the same people (${ROUNDS} rounds)`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      await resetRoster();
      const [a, b] = [await createDistrict('Alpha'), await createDistrict('Beta')];
      const [alpha, beta, alphaAlone, betaAlone] = [
        writeRoster(roster('Alpha', false)),
        writeRoster(roster('Beta', true)),
        writeRoster(roster('Alpha', false, false)),
        writeRoster(roster('Beta', true, false)),
      ];

      // Both first imports at once: the shared people are new to both, and each run creates or adopts them.
      const first = await Promise.all([runRosterSync({ districtId: a, source: alpha }), runRosterSync({ districtId: b, source: beta })]);
      expect(first.map((s) => [s.status, s.reason])).toEqual([['succeeded', undefined], ['succeeded', undefined]]);
      expect(first[0].users.created + first[1].users.created).toBe(30 + 30 + SHARED);
      expect(first[0].users.adopted + first[1].users.adopted).toBe(SHARED);
      // 30 own links plus 60 shared (20 in two schools, 20 in one) in each district.
      expect(await outcome()).toEqual({ liveUsers: 100, sharedUsers: SHARED, links: [{ name: 'Alpha', n: 90 }, { name: 'Beta', n: 90 }] });

      // Both let go of the shared people at once: whichever commits last must soft-delete them.
      const second = await Promise.all([
        runRosterSync({ districtId: a, source: alphaAlone, force: true }),
        runRosterSync({ districtId: b, source: betaAlone, force: true }),
      ]);
      expect(second.map((s) => s.status)).toEqual(['succeeded', 'succeeded']);
      expect(second[0].users.deleted + second[1].users.deleted).toBe(SHARED);
      expect(await outcome()).toEqual({ liveUsers: 60, sharedUsers: 0, links: [{ name: 'Alpha', n: 30 }, { name: 'Beta', n: 30 }] });

      // Both take them back at once: the same users, restored once.
      const third = await Promise.all([runRosterSync({ districtId: a, source: alpha }), runRosterSync({ districtId: b, source: beta })]);
      expect(third.map((s) => [s.status, s.users.restored, s.users.created])).toEqual([['succeeded', expect.any(Number), 0], ['succeeded', expect.any(Number), 0]]);
      expect(await outcome()).toEqual({ liveUsers: 100, sharedUsers: SHARED, links: [{ name: 'Alpha', n: 90 }, { name: 'Beta', n: 90 }] });

      // Alpha lets go, then takes them back while Beta lets go: whichever commits first, Alpha holds them live.
      await runRosterSync({ districtId: a, source: alphaAlone, force: true });
      const fourth = await Promise.all([runRosterSync({ districtId: a, source: alpha }), runRosterSync({ districtId: b, source: betaAlone, force: true })]);
      expect(fourth.map((s) => s.status)).toEqual(['succeeded', 'succeeded']);
      expect(await outcome()).toEqual({ liveUsers: 100, sharedUsers: SHARED, links: [{ name: 'Alpha', n: 90 }, { name: 'Beta', n: 30 }] });
    }
  });

  it('restores a person it takes back while another district lets them go and commits first', async () => {
    const [a, b] = [await createDistrict('Alpha'), await createDistrict('Beta')];
    const [alpha, beta, alphaAlone, betaAlone] = [roster('Alpha', false), roster('Beta', true), roster('Alpha', false, false), roster('Beta', true, false)].map(writeRoster);
    await runRosterSync({ districtId: a, source: alpha });
    await runRosterSync({ districtId: b, source: beta });
    await runRosterSync({ districtId: a, source: alphaAlone, force: true });
    // Beta's run pauses inside its transaction right after soft-deleting the shared people, locks held.
    await withClient((c) => c.query(`
      CREATE FUNCTION slow_soft_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.05); RETURN NULL; END $$;
      CREATE TRIGGER slow_soft_delete AFTER UPDATE ON users FOR EACH ROW
        WHEN (OLD."deletedAt" IS NULL AND NEW."deletedAt" IS NOT NULL) EXECUTE FUNCTION slow_soft_delete();`));
    try {
      const betaLetsGo = runRosterSync({ districtId: b, source: betaAlone, force: true });
      await withClient(async (c) => {
        while ((await c.query(`SELECT 1 FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND datname = current_database()`)).rows.length === 0) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      });

      // Alpha plans while the people are still live to it, then waits for Beta's locks.
      const [alphaTakesBack, betaDone] = await Promise.all([runRosterSync({ districtId: a, source: alpha }), betaLetsGo]);

      expect([alphaTakesBack.status, betaDone.status, betaDone.users.deleted]).toEqual(['succeeded', 'succeeded', SHARED]);
      expect(alphaTakesBack.users.restored).toBe(SHARED);
      expect(await outcome()).toEqual({ liveUsers: 100, sharedUsers: SHARED, links: [{ name: 'Alpha', n: 90 }, { name: 'Beta', n: 30 }] });
    } finally {
      await withClient((c) => c.query('DROP TRIGGER slow_soft_delete ON users; DROP FUNCTION slow_soft_delete();'));
    }
  });

  it('applies again, and adopts, when another run commits the same new person while it waits', async () => {
    const a = await createDistrict('Alpha');
    const warn = jest.spyOn(logger, 'warn');
    await withClient(async (other) => {
      // Another district's run, stood in for by a transaction that has made shared0 and not yet committed.
      await other.query('BEGIN');
      const { rows } = await other.query(`INSERT INTO users ("firstName", email, source) VALUES ('Shared0', 'shared0@both.example', 'roster') RETURNING "userId"`);
      const running = runRosterSync({ districtId: a, source: writeRoster(roster('Alpha', false)) });
      // Commit once the run waits on the new person's email.
      for (let waited = 0; ; waited += 50) {
        // Inside its transaction this session's view of pg_stat_activity is a snapshot taken at its first
        // read: cleared before each look, it shows the run's connection once that opens and waits.
        await other.query('SELECT pg_stat_clear_snapshot()');
        const { rows: waiting } = await other.query(`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`);
        if (waiting.length > 0) break;
        if (waited > 30_000) throw new Error('the run never waited for the uncommitted person');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await other.query('COMMIT');

      const summary = await running;

      expect(summary).toMatchObject({ status: 'succeeded', users: { created: 30 + SHARED - 1, adopted: 1 } });
      const owner = await other.query(`SELECT "userId" FROM user_roster_identities WHERE "sourcedId" = 'Alpha-s0'`);
      expect(owner.rows).toEqual([{ userId: rows[0].userId }]);
    });
    expect(warn).toHaveBeenCalledWith('roster sync retries its apply after a conflict with another run', { attempt: 1, sqlState: '23505' });
    warn.mockRestore();
  });
});
