import { getSequelize } from '../../shared/db/sequelize';
import { runRosterSync } from '../../shared/roster/sync';
import { districtLockKey } from '../../shared/roster/districts';
import { withClient } from '../support/db';
import { counts, resetRoster, roster11, smallDistrict11, snapshot, writeRoster, writeZip } from '../support/roster';
import { logger } from '../../shared/logger';
import { ADVISORY_LOCKS } from '../../shared/db/advisory-locks';

afterAll(() => getSequelize().close());
beforeEach(resetRoster);

describe('all or nothing', () => {
  afterEach(() =>
    withClient((c) => c.query(`
      DROP TRIGGER IF EXISTS fail_on_proctor ON user_schools; DROP FUNCTION IF EXISTS fail_on_proctor();
      DROP TRIGGER IF EXISTS slow_schools ON schools; DROP FUNCTION IF EXISTS slow_schools();`)),
  );

  it('leaves the database as it was when a statement fails mid-apply', async () => {
    const { orgs, users } = smallDistrict11();
    await runRosterSync({ source: writeRoster(roster11(orgs, users.slice(0, 2))) });
    const before = await snapshot();
    // The memberships are applied last, after users and schools have been written.
    await withClient((c) => c.query(`
      CREATE FUNCTION fail_on_proctor() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.role = 'proctor' THEN RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$;
      CREATE TRIGGER fail_on_proctor BEFORE INSERT ON user_schools FOR EACH ROW EXECUTE FUNCTION fail_on_proctor();`));
    users[0].familyName = 'Changed';
    users[3].role = 'proctor';
    orgs.push({ sourcedId: 'sch-9', name: 'New School' });
    const log = jest.spyOn(logger, 'error').mockImplementation(() => {});

    const summary = await runRosterSync({ source: writeRoster(roster11(orgs, users)), force: true });

    expect(summary).toMatchObject({
      status: 'failed',
      reason: 'The sync failed and changed nothing: injected failure',
      users: counts(),
      schools: counts(),
      memberships: counts(),
    });
    expect(await snapshot()).toEqual(before);
    const runs = await withClient((c) => c.query(`SELECT status FROM roster_sync_runs ORDER BY "startedAt"`));
    expect(runs.rows).toEqual([{ status: 'succeeded' }, { status: 'failed' }]);
    expect(log).toHaveBeenCalledWith('roster sync failed', expect.objectContaining({ message: 'injected failure' }));
    log.mockRestore();
  });

  it('returns skipped at once while another run of the district holds its lock, and records it', async () => {
    const { orgs, users } = smallDistrict11();
    const districtId = await withClient(async (c) => (await c.query(`INSERT INTO districts (name) VALUES ('Springfield') RETURNING "districtId"`)).rows[0].districtId as string);
    await withClient(async (other) => {
      await other.query('SELECT pg_advisory_lock($1, $2)', [ADVISORY_LOCKS.districtSync, districtLockKey(districtId)]);
      const started = Date.now();

      const summary = await runRosterSync({ source: writeRoster(roster11(orgs, users)) });

      expect(Date.now() - started).toBeLessThan(1000);
      expect(summary).toMatchObject({ status: 'skipped', districtId, reason: 'Another roster sync of this district is running; this run did nothing.', users: counts() });
    });
    expect((await snapshot()).users).toEqual([]);
    const runs = await withClient((c) => c.query(`SELECT status, "finishedAt" IS NOT NULL AS finished FROM roster_sync_runs`));
    expect(runs.rows).toEqual([{ status: 'skipped', finished: true }]);
  });

  it('runs one of two simultaneous runs and skips the other', async () => {
    const { orgs, users } = smallDistrict11();
    // Slows the first run's apply so that the second arrives while it holds the lock.
    await withClient((c) => c.query(`
      CREATE FUNCTION slow_schools() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(1); RETURN NULL; END $$;
      CREATE TRIGGER slow_schools AFTER INSERT ON schools FOR EACH STATEMENT EXECUTE FUNCTION slow_schools();`));
    const source = writeRoster(roster11(orgs, users));

    const summaries = await Promise.all([runRosterSync({ source }), runRosterSync({ source })]);

    expect(summaries.map((s) => s.status).sort()).toEqual(['skipped', 'succeeded']);
    expect((await snapshot()).users).toHaveLength(4);
  });
});

describe('zip sources', () => {
  it('reads a zip whose files sit in a folder', async () => {
    const { orgs, users } = smallDistrict11();
    const files = Object.fromEntries(Object.entries(roster11(orgs, users)).map(([name, text]) => [`export-2026/${name}`, text]));

    const summary = await runRosterSync({ source: await writeZip(files) });

    expect(summary).toMatchObject({ status: 'succeeded', users: { created: 4 }, schools: { created: 2 }, memberships: { created: 5 } });
  });

  it('fails clearly on a file that is not a zip', async () => {
    const dir = writeRoster({ 'roster.zip': 'not a zip' });

    const summary = await runRosterSync({ source: `${dir}/roster.zip` });

    expect(summary).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^Cannot read the zip .*roster\.zip: End of central directory record signature not found/) });
  });

  it('fails clearly on a source that does not exist', async () => {
    const summary = await runRosterSync({ source: '/nonexistent/roster' });

    expect(summary).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^Cannot read the roster source \/nonexistent\/roster: ENOENT/) });
  });
});

describe('a district-sized statement', () => {
  afterEach(() => withClient((c) => c.query('DROP TRIGGER IF EXISTS slow_users ON users; DROP FUNCTION IF EXISTS slow_users();')));

  it('may run longer than the API statement timeout: the run is bounded by the function timeout', async () => {
    // A container whose API statements give up after 200 ms (and pg's read timeout 1.2 s after them).
    let runShortTimeoutSync!: typeof runRosterSync;
    let closeShortTimeout!: () => Promise<void>;
    jest.isolateModules(() => {
      process.env.DB_STATEMENT_TIMEOUT_MS = '200';
      runShortTimeoutSync = require('../../shared/roster/sync').runRosterSync;
      // The container's own database module: a require() called later would reach this file's registry.
      closeShortTimeout = require('../../shared/db/sequelize').closeConnections;
    });
    delete process.env.DB_STATEMENT_TIMEOUT_MS;
    await withClient((c) => c.query(`
      CREATE FUNCTION slow_users() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(1.5); RETURN NULL; END $$;
      CREATE TRIGGER slow_users AFTER INSERT ON users FOR EACH STATEMENT EXECUTE FUNCTION slow_users();`));
    const { orgs, users } = smallDistrict11();

    try {
      const summary = await runShortTimeoutSync({ source: writeRoster(roster11(orgs, users)) });

      expect(summary).toMatchObject({ status: 'succeeded', users: { created: users.length } });
    } finally {
      await closeShortTimeout();
    }
  });
});
