/**
 * `npm run bench:erase`: how long DELETE /users/{userId}?erase=true takes for a person with 5 memberships
 * and a stored Idempotency-Key response, among 20,000 users, and how long one housekeeping batch of
 * 1,000 soft-deleted users (each with 2 memberships) takes, with the run's other tasks. Runs the change handler and the housekeeping
 * service in-process, as a warm Lambda would, against a real PostgreSQL: a throwaway embedded one, or a
 * `roster_bench` database created on the server of DATABASE_URL.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Sequelize } from 'sequelize';
import { migrateUp } from '../shared/db/migrator';
import { openSequelize } from '../scripts/databases';
import { withBenchDatabase } from './support/bench-database';
import { httpEvent, lambdaContext } from '../scripts/lambda-events';

const USERS = 20_000;
const SCHOOLS = 200;
const KEYS = 5_000;
const WARMUP = 20;
const RUNS = Number(process.env.BENCH_RUNS ?? 300);
const HOUSEKEEPING_ROUNDS = 10;

async function seed(sequelize: Sequelize): Promise<void> {
  await migrateUp(sequelize);
  await sequelize.query(`
    INSERT INTO schools ("name") SELECT 'School ' || i FROM generate_series(1, ${SCHOOLS}) AS i;
    INSERT INTO users ("firstName", "lastName", "email") SELECT 'First' || i, 'Last' || i, 'user' || i || '@example.org' FROM generate_series(1, ${USERS}) AS i;
    INSERT INTO user_schools ("userUserId", "schoolSchoolId")
    SELECT u."userId", s."schoolId" FROM (SELECT "userId", row_number() OVER () AS n FROM users) u
    JOIN (SELECT "schoolId", row_number() OVER () AS n FROM schools) s ON s.n IN (1 + u.n % ${SCHOOLS}, 1 + (u.n + 7) % ${SCHOOLS});
    INSERT INTO idempotency_keys ("scope", "key", "requestHash", "responseStatus", "responseHeaders", "responseBody", "expiresAt")
    SELECT 'POST /users', 'k-' || i, repeat('0', 64), 201, jsonb_build_object('Location', '/users/' || gen_random_uuid()), '{}', now() + interval '1 day'
    FROM generate_series(1, ${KEYS}) AS i;
    ANALYZE;
  `);
}

/** A person as the API would hold them: a row, 5 memberships and the stored response of their creation. */
async function person(sequelize: Sequelize, n: number): Promise<string> {
  const [[{ userId }]] = (await sequelize.query(
    `WITH u AS (INSERT INTO users ("firstName", "email") VALUES ('Erase' || $1::text, 'erase' || $1::text || '@example.org') RETURNING "userId"),
     l AS (INSERT INTO user_schools ("userUserId", "schoolSchoolId") SELECT u."userId", s."schoolId" FROM u, (SELECT "schoolId" FROM schools ORDER BY random() LIMIT 5) s),
     k AS (INSERT INTO idempotency_keys ("scope", "key", "requestHash", "responseStatus", "responseHeaders", "responseBody", "expiresAt")
           SELECT 'POST /users', 'erase-' || $1::text, repeat('0', 64), 201, jsonb_build_object('Location', '/users/' || u."userId"), '{}', now() + interval '1 day' FROM u)
     SELECT "userId" FROM u`,
    { bind: [n] },
  )) as [Array<{ userId: string }>, unknown];
  return userId;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const summary = (name: string, times: number[]) => {
  const sorted = [...times].sort((a, b) => a - b);
  return { what: name, runs: sorted.length, 'p50 ms': percentile(sorted, 50).toFixed(2), 'p95 ms': percentile(sorted, 95).toFixed(2), 'min ms': sorted[0].toFixed(2) };
};

async function main() {
  await withBenchDatabase(async (url) => {
    const arranger = openSequelize(url);
    await seed(arranger);

    // Imported only now: the service's config reads DATABASE_URL when it loads.
    process.env.DATABASE_URL = url;
    process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
    process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
    const { handler } = await import('../functions/change.js');
    const { runHousekeeping, HOUSEKEEPING_BATCH_SIZE } = await import('../shared/services/housekeeping.js');
    const { closeConnections } = await import('../shared/db/sequelize.js');

    const erase = async (userId: string) => {
      const event = httpEvent({ route: 'DELETE /users/{userId}', pathParameters: { userId }, query: { erase: 'true' }, claims: { sub: 'bench', scope: 'roster/erase' } });
      const started = performance.now();
      const result = (await handler(event as never, lambdaContext())) as { statusCode: number };
      const elapsed = performance.now() - started;
      if (result.statusCode !== 204) throw new Error(`unexpected reply ${result.statusCode}`);
      return elapsed;
    };
    const times: number[] = [];
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const elapsed = await erase(await person(arranger, i));
      if (i >= WARMUP) times.push(elapsed);
    }
    const [[left]] = (await arranger.query(`SELECT count(*)::int AS n FROM users WHERE "firstName" LIKE 'Erase%'`)) as [Array<{ n: number }>, unknown];
    if (left.n !== 0) throw new Error(`${left.n} erased users are still there`);

    // Housekeeping: each round soft-deleted one full batch of users long ago, each with 2 memberships the
    // cascade removes; a run then removes that batch (and runs its three other tasks, and the empty
    // statement that ends the users task).
    const runs: number[] = [];
    for (let round = 0; round < HOUSEKEEPING_ROUNDS; round++) {
      await arranger.query(`
        WITH u AS (
          INSERT INTO users ("firstName", "deletedAt") SELECT 'Gone' || i, now() - interval '40 days' FROM generate_series(1, ${HOUSEKEEPING_BATCH_SIZE}) AS i RETURNING "userId")
        INSERT INTO user_schools ("userUserId", "schoolSchoolId") SELECT u."userId", s."schoolId" FROM u, (SELECT "schoolId" FROM schools LIMIT 2) s;
        ANALYZE users; ANALYZE user_schools;`);
      const started = performance.now();
      const result = await runHousekeeping();
      runs.push(performance.now() - started);
      if (result.removed.users !== HOUSEKEEPING_BATCH_SIZE || result.largestBatch !== HOUSEKEEPING_BATCH_SIZE) throw new Error(`unexpected run ${JSON.stringify(result)}`);
    }
    await closeConnections();
    await arranger.close();

    console.log(`${USERS.toLocaleString('en')} users, ${SCHOOLS} schools, ${KEYS.toLocaleString('en')} stored Idempotency-Key responses; node ${process.version}, ${os.cpus().length} CPUs`);
    console.table([summary('erase a user with 5 memberships (DELETE ?erase=true)', times), summary(`housekeeping run erasing one batch of ${HOUSEKEEPING_BATCH_SIZE} users (2,000 memberships)`, runs)]);
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
