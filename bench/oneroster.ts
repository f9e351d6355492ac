/**
 * `npm run bench:oneroster`: what a OneRoster 1.2 page costs through the real endpoint (docs/oneroster.md):
 * functions/oneroster.ts in-process as a warm Lambda (the whole middy stack, claims, zod, the SQL, the
 * presenters), over 120,000 users with one membership each in 100 schools, 1% of them changed lately.
 * - GET /users, pages of 100 by sourcedId, at offset 0 and 100,000, each with its X-Total-Count;
 * - a delta pull, `filter=dateLastModified>'<cut-off>'` (1,200 users), its first and its last page;
 * plus the buffers each page's query reads (EXPLAIN (ANALYZE, BUFFERS)), which load on the machine cannot blur.
 * Against a throwaway embedded PostgreSQL, or a `roster_bench` database on the server of DATABASE_URL.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { openSequelize } from '../scripts/databases';
import { FULL_ACCESS_CLAIMS, httpEvent, lambdaContext } from '../scripts/lambda-events';
import { migrateUp } from '../shared/db/migrator';
import { withBenchDatabase } from './support/bench-database';

const USERS = 120_000;
const WARMUP = 5;
const RUNS = Number(process.env.BENCH_RUNS ?? 30);

const median = (times: number[]) => [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)];

/** 120,000 users in 100 schools, one membership each; `updatedAt` one second apart, the newest 1% after the cut-off. */
async function seed(url: string): Promise<void> {
  const sequelize = openSequelize(url);
  try {
    await migrateUp(sequelize);
    await sequelize.query(`
      INSERT INTO schools ("name") SELECT 'School ' || i FROM generate_series(1, 100) AS i;
      INSERT INTO users ("firstName", "lastName", "email", "createdAt")
      SELECT 'First' || i, 'Last' || i, 'user' || i || '@example.org', now() - make_interval(secs => i) FROM generate_series(1, ${USERS}) AS i;
      INSERT INTO user_schools ("userUserId", "schoolSchoolId", "role")
      SELECT u."userId", s."schoolId", 'student' FROM (SELECT "userId", row_number() OVER () % 100 AS n FROM users) u
      JOIN (SELECT "schoolId", row_number() OVER () - 1 AS n FROM schools) s ON s.n = u.n;
      -- The links moved every updatedAt to now() (migration 0009): spread them out again.
      UPDATE users SET "updatedAt" = "createdAt";`);
    await sequelize.query('VACUUM ANALYZE users');
    await sequelize.query('VACUUM ANALYZE user_schools');
    await sequelize.query('VACUUM ANALYZE schools');
  } finally {
    await sequelize.close();
  }
}

async function main(): Promise<void> {
  await withBenchDatabase(async (url) => {
    await seed(url);
    // Imported only now: the service's config reads DATABASE_URL when it loads.
    process.env.DATABASE_URL = url;
    process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
    process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
    const { handler } = await import('../functions/oneroster.js');
    const { ONEROSTER_CORE_SCOPE } = await import('../shared/http/routes.js');
    const { getSequelize, closeConnections } = await import('../shared/db/sequelize.js');
    const claims = { ...FULL_ACCESS_CLAIMS, scope: ONEROSTER_CORE_SCOPE };
    const [[{ cutoff }]] = (await getSequelize().query(`SELECT to_char("updatedAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cutoff FROM users ORDER BY "updatedAt" DESC OFFSET ${USERS / 100} LIMIT 1`)) as [
      Array<{ cutoff: string }>,
      unknown,
    ];

    const measure = async (name: string, query: Record<string, string>) => {
      const call = async () => {
        const result = (await handler(httpEvent({ route: 'GET /ims/oneroster/rostering/v1p2/users', query, claims }) as never, lambdaContext())) as {
          statusCode: number;
          headers: Record<string, string>;
          body: string;
        };
        if (result.statusCode !== 200) throw new Error(`${name}: ${result.statusCode} ${result.body}`);
        return result;
      };
      for (let i = 0; i < WARMUP; i++) await call();
      const times: number[] = [];
      let last = await call();
      for (let i = 0; i < RUNS; i++) {
        const started = performance.now();
        last = await call();
        times.push(performance.now() - started);
      }
      return { page: name, 'p50 ms': median(times).toFixed(1), users: JSON.parse(last.body).users.length, 'X-Total-Count': last.headers['X-Total-Count'] };
    };

    const delta = { filter: `dateLastModified>'${cutoff}'`, sort: 'dateLastModified' };
    const rows = [
      await measure('offset 0', { limit: '100' }),
      await measure('offset 100,000', { limit: '100', offset: '100000' }),
      await measure('delta (1%), first page', { ...delta, limit: '100' }),
      await measure('delta (1%), last page', { ...delta, limit: '100', offset: '1100' }),
    ];

    // What the database does for each query the endpoint ran (Sequelize's logging hands over the SQL and
    // its binds): the page's and its X-Total-Count's, read with EXPLAIN (ANALYZE, BUFFERS), whose buffer
    // counts load on the machine cannot blur.
    const plans: Array<Record<string, string | number>> = [];
    const sequelize = getSequelize() as ReturnType<typeof getSequelize> & { options: { logging: unknown } };
    for (const [name, query] of [
      ['offset 0', { limit: '100' }],
      ['offset 100,000', { limit: '100', offset: '100000' }],
      ['delta, first page', { ...delta, limit: '100' }],
    ] as const) {
      const ran: Array<{ sql: string; bind: unknown[] }> = [];
      sequelize.options.logging = (sql: string, options?: { bind?: unknown[] }) => ran.push({ sql: sql.replace(/^Executing \([^)]*\): /, ''), bind: options?.bind ?? [] });
      await handler(httpEvent({ route: 'GET /ims/oneroster/rostering/v1p2/users', query, claims }) as never, lambdaContext());
      sequelize.options.logging = false;
      for (const { sql, bind } of ran.filter(({ sql }) => sql.startsWith('SELECT'))) {
        const [[row]] = (await sequelize.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${sql}`, { bind })) as [Array<{ 'QUERY PLAN': Array<{ Plan: Record<string, number>; 'Execution Time': number }> }>, unknown];
        const [plan] = row['QUERY PLAN'];
        const what = sql.startsWith('SELECT count(*)') ? 'X-Total-Count' : sql.includes('user_schools l JOIN schools s ON s."schoolId" = l."schoolSchoolId"\n     WHERE l."userUserId" = ANY') ? 'roles' : 'page';
        plans.push({ request: name, query: what, 'buffers (8 KiB)': plan.Plan['Shared Hit Blocks'] + plan.Plan['Shared Read Blocks'], 'ms': plan['Execution Time'].toFixed(1) });
      }
    }
    await closeConnections();

    console.log(`${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${os.cpus()[0]?.model}, load ${os.loadavg()[0].toFixed(1)}, Node ${process.version}, PostgreSQL 17, ${RUNS} runs each`);
    console.log(`${USERS.toLocaleString('en')} users, GET /ims/oneroster/rostering/v1p2/users through functions/oneroster.ts, pages of 100:`);
    console.table(rows);
    console.log('Each query of one request (EXPLAIN ANALYZE, BUFFERS):');
    console.table(plans);
  });
}

void main();
