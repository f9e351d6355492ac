import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { handler as housekeeping } from '../../functions/housekeeping';
import { closeConnections } from '../../shared/db/sequelize';
import { runHousekeeping } from '../../shared/services/housekeeping';
import { resetDatabase, withClient } from '../support/db';
import { lambdaContext } from '../support/events';

const ROOT = path.resolve(__dirname, '../..');

/** Inserts rows with the timestamps a test sets: `days` ago (negative: in the future). */
async function arrange(rows: { users?: (number | null)[]; schools?: (number | null)[]; runs?: number[]; keys?: number[] }): Promise<void> {
  await withClient(async (c) => {
    for (const days of rows.users ?? []) {
      await c.query(`INSERT INTO users ("firstName", "deletedAt") VALUES ($1, now() - make_interval(days => $2::int))`, [`User ${days}`, days]);
    }
    for (const days of rows.schools ?? []) {
      await c.query(`INSERT INTO schools ("name", "deletedAt") VALUES ($1, now() - make_interval(days => $2::int))`, [`School ${days}`, days]);
    }
    for (const days of rows.runs ?? []) {
      await c.query(`INSERT INTO roster_sync_runs ("status", "startedAt", "finishedAt") VALUES ('succeeded', now() - make_interval(days => $1::int), now() - make_interval(days => $1::int))`, [days]);
    }
    for (const [n, days] of (rows.keys ?? []).entries()) {
      await c.query(
        `INSERT INTO idempotency_keys ("scope", "key", "requestHash", "expiresAt") VALUES ('POST /users', $1, repeat('0', 64), now() - make_interval(days => $2::int))`,
        [`k-${n}-${days}`, days],
      );
    }
  });
}

const remaining = () =>
  withClient(async (c) => ({
    users: (await c.query(`SELECT "firstName" FROM users ORDER BY 1`)).rows.map((r) => r.firstName),
    schools: (await c.query(`SELECT "name" FROM schools ORDER BY 1`)).rows.map((r) => r.name),
    runs: Number((await c.query(`SELECT count(*) FROM roster_sync_runs`)).rows[0].count),
    keys: (await c.query(`SELECT "key" FROM idempotency_keys ORDER BY 1`)).rows.map((r) => r.key),
  }));

beforeEach(async () => {
  await resetDatabase();
  await withClient((c) => c.query('TRUNCATE roster_sync_runs, idempotency_keys'));
});
afterAll(closeConnections);

describe('housekeeping', () => {
  it('erases users and schools soft-deleted over RETENTION_DAYS (30) ago, runs over 90 days old and expired keys; keeps the rest', async () => {
    await arrange({ users: [31, 400, 29, 0], schools: [31, 29], runs: [91, 89, 0], keys: [1, 0, -1] });
    await withClient((c) => c.query(`INSERT INTO users ("firstName") VALUES ('Live')`));
    const [{ userId: oldUser }] = (await withClient((c) => c.query(`SELECT "userId" FROM users WHERE "firstName" = 'User 31'`))).rows;
    const [{ schoolId: liveSchool }] = (await withClient((c) => c.query(`INSERT INTO schools (name) VALUES ('Live school') RETURNING "schoolId"`))).rows;
    await withClient((c) => c.query(`INSERT INTO user_schools ("userUserId", "schoolSchoolId") VALUES ($1, $2)`, [oldUser, liveSchool]));

    const result = await runHousekeeping();

    expect(result).toEqual({ removed: { idempotencyKeys: 2, users: 2, schools: 1, syncRuns: 1, changes: 0 }, batches: 5, largestBatch: 2, complete: true });
    expect(await remaining()).toEqual({
      users: ['Live', 'User 0', 'User 29'],
      schools: ['Live school', 'School 29'],
      runs: 2,
      keys: ['k-2--1'],
    });
    expect(Number((await withClient((c) => c.query('SELECT count(*) FROM user_schools'))).rows[0].count)).toBe(0);
  });

  it('deletes in statements of at most the batch size, oldest first, until nothing is left', async () => {
    await arrange({ users: Array.from({ length: 25 }, (_, i) => 31 + i), runs: Array.from({ length: 12 }, () => 100) });
    // Counts the rows each DELETE statement removes, as the database sees it.
    await withClient((c) =>
      c.query(`
        CREATE TABLE hk_statements (tbl text, n int);
        CREATE FUNCTION hk_count() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN INSERT INTO hk_statements SELECT TG_TABLE_NAME, count(*) FROM gone; RETURN NULL; END $$;
        CREATE TRIGGER hk_users AFTER DELETE ON users REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION hk_count();
        CREATE TRIGGER hk_runs AFTER DELETE ON roster_sync_runs REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION hk_count();`),
    );
    try {
      const result = await runHousekeeping({ batchSize: 10 });

      expect(result).toMatchObject({ removed: { users: 25, syncRuns: 12 }, largestBatch: 10, complete: true });
      const statements = (await withClient((c) => c.query(`SELECT tbl, n FROM hk_statements WHERE n > 0`))).rows;
      expect(statements).toEqual([
        { tbl: 'users', n: 10 },
        { tbl: 'users', n: 10 },
        { tbl: 'users', n: 5 },
        { tbl: 'roster_sync_runs', n: 10 },
        { tbl: 'roster_sync_runs', n: 2 },
      ]);
    } finally {
      await withClient((c) => c.query(`DROP TABLE hk_statements; DROP TRIGGER hk_users ON users; DROP TRIGGER hk_runs ON roster_sync_runs; DROP FUNCTION hk_count();`));
    }
  });

  it('skips a row another transaction holds instead of waiting for it, and removes it on a later run', async () => {
    await arrange({ users: [40, 41, 42] });
    await withClient(async (holder) => {
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM users WHERE "firstName" = 'User 41' FOR UPDATE`);
      const started = Date.now();

      const result = await runHousekeeping();

      expect(Date.now() - started).toBeLessThan(2000);
      expect(result.removed.users).toBe(2);
      expect((await remaining()).users).toEqual(['User 41']);
      await holder.query('COMMIT');
    });
    expect((await runHousekeeping()).removed.users).toBe(1);
  });

  it('gives a task up for this run when a cascade waits on a lock past the statement timeout, goes on with the others, and finishes later', async () => {
    await arrange({ users: [40], runs: [100] });
    await withClient((c) =>
      c.query(`INSERT INTO schools (name) VALUES ('Live'); INSERT INTO user_schools ("userUserId", "schoolSchoolId") SELECT u."userId", s."schoolId" FROM users u, schools s`),
    );
    await withClient(async (holder) => {
      // A roster sync holding the old user's membership, its transaction still open. (Holding the link row
      // alone: rewriting it would also lock its user, migration 0009, whom housekeeping then skips.)
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM user_schools FOR UPDATE`);

      const result = await runHousekeeping();

      expect(result).toMatchObject({ removed: { users: 0, syncRuns: 1 }, complete: false });
      await holder.query('ROLLBACK');
    });
    expect(await runHousekeeping()).toMatchObject({ removed: { users: 1 }, complete: true });
  });

  it('starts no batch after its deadline, and says it stopped early', async () => {
    await arrange({ users: [40] });

    expect(await runHousekeeping({ deadline: Date.now() - 1 })).toEqual({
      removed: { idempotencyKeys: 0, users: 0, schools: 0, syncRuns: 0, changes: 0 },
      batches: 0,
      largestBatch: 0,
      complete: false,
    });
    expect((await remaining()).users).toEqual(['User 40']);
  });

  it('runs as the scheduled function, and as npm run housekeeping', async () => {
    await arrange({ users: [31], schools: [31] });

    const result = await housekeeping({}, lambdaContext('housekeeping', 300_000));
    expect(result).toMatchObject({ removed: { users: 1, schools: 1 }, complete: true });

    await arrange({ users: [60], runs: [100] });
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/housekeeping.ts'], { cwd: ROOT, env: { ...process.env }, encoding: 'utf8' });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    expect(run.stdout).toBe(
      'Housekeeping done: erased 1 users and 0 schools soft-deleted past retention; deleted 1 sync runs, 0 expired Idempotency-Keys and 0 change events past retention (5 batches, at most 1 rows each)\n',
    );
    expect(await remaining()).toEqual({ users: [], schools: [], runs: 0, keys: [] });
  });
});
