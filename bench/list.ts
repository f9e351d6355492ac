/**
 * `npm run bench:list`: the cost of a page of GET /schools/{schoolId}/users at the start of a school of
 * 100,000 members and 90,000 rows deep (docs/api.md#lists-and-pagination: keyset pages cost the same wherever they are).
 * Runs the list handler in-process, as a warm Lambda would, against a real PostgreSQL: a throwaway
 * embedded one, or a `roster_bench` database created on the server of DATABASE_URL.
 */
import { performance } from 'node:perf_hooks';
import { migrateUp } from '../shared/db/migrator';
import { openSequelize } from '../scripts/databases';
import { withBenchDatabase } from './support/bench-database';
import { httpEvent, lambdaContext } from '../scripts/lambda-events';

const MEMBERS = 100_000;
const OTHER_USERS = 20_000;
const DEEP_OFFSET = 90_000;
const WARMUP = 30;
const RUNS = Number(process.env.BENCH_RUNS ?? 300);

async function seed(url: string): Promise<{ schoolId: string; deepKey: { lastName: string | null; firstName: string; userId: string } }> {
  const sequelize = openSequelize(url);
  try {
    await migrateUp(sequelize);
    // Set-based: names collide (the userId breaks ties) and 5% have no lastName, so every part of the key works.
    await sequelize.query(`
      INSERT INTO schools ("name") SELECT 'School ' || lpad(i::text, 3, '0') FROM generate_series(1, 201) AS i;
      INSERT INTO users ("firstName", "lastName", "email")
      SELECT 'First' || (i % 211), CASE WHEN i % 20 = 0 THEN NULL ELSE 'Last' || lpad((i % 9973)::text, 4, '0') END, 'user' || i || '@example.org'
      FROM generate_series(1, ${MEMBERS + OTHER_USERS}) AS i;
      INSERT INTO user_schools ("userUserId", "schoolSchoolId", "role")
      SELECT u."userId", s."schoolId", CASE WHEN u.n % 25 = 0 THEN 'teacher' ELSE 'student' END
      FROM (SELECT "userId", row_number() OVER () AS n FROM users) u
      JOIN schools s ON s.name = CASE WHEN u.n <= ${MEMBERS} THEN 'School 001' ELSE 'School ' || lpad((2 + u.n % 200)::text, 3, '0') END;
      ANALYZE users; ANALYZE schools; ANALYZE user_schools;
    `);
    const [[school]] = (await sequelize.query(`SELECT "schoolId" FROM schools WHERE name = 'School 001'`)) as [Array<{ schoolId: string }>, unknown];
    // The key of the 90,000th member in list order: the cursor a client holds after 1,800 pages of 50.
    const [[deepKey]] = (await sequelize.query(
      `SELECT u."lastName", u."firstName", u."userId" FROM user_schools us JOIN users u ON u."userId" = us."userUserId"
       WHERE us."schoolSchoolId" = $1 ORDER BY u."lastName" IS NULL, u."lastName", u."firstName", u."userId" OFFSET $2 LIMIT 1`,
      { bind: [school.schoolId, DEEP_OFFSET - 1] },
    )) as [Array<{ lastName: string | null; firstName: string; userId: string }>, unknown];
    return { schoolId: school.schoolId, deepKey };
  } finally {
    await sequelize.close();
  }
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function main() {
  await withBenchDatabase(async (url) => {
    const seedStart = performance.now();
    const { schoolId, deepKey } = await seed(url);
    console.log(`seeded ${MEMBERS.toLocaleString('en')} members + ${OTHER_USERS.toLocaleString('en')} other users in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

    // Imported only now: the service's config reads DATABASE_URL when it loads.
    process.env.DATABASE_URL = url;
    // One log and one metric line per request would bury the figures (and time the terminal, not the service).
    process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
    process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
    const { handler } = await import('../functions/list.js');
    const { encodeCursor } = await import('../shared/schemas.js');
    const { closeConnections } = await import('../shared/db/sequelize.js');

    const pages = {
      first: {},
      [`${DEEP_OFFSET.toLocaleString('en')} deep`]: { cursor: encodeCursor(deepKey) },
    } as Record<string, Record<string, string>>;
    const request = async (query: Record<string, string>) => {
      const event = httpEvent({ route: 'GET /schools/{schoolId}/users', pathParameters: { schoolId }, query });
      const started = performance.now();
      const result = (await handler(event as never, lambdaContext())) as { statusCode: number; body: string };
      const elapsed = performance.now() - started;
      if (result.statusCode !== 200 || JSON.parse(result.body).items.length !== 50) throw new Error(`unexpected reply ${result.statusCode}`);
      return elapsed;
    };

    const samples: Record<string, number[]> = Object.fromEntries(Object.keys(pages).map((name) => [name, []]));
    for (let i = 0; i < WARMUP; i++) for (const query of Object.values(pages)) await request(query);
    // Interleaved, so drift in the machine's load falls on both alike.
    for (let i = 0; i < RUNS; i++) for (const [name, query] of Object.entries(pages)) samples[name].push(await request(query));
    await closeConnections();

    const rows = Object.entries(samples).map(([name, times]) => {
      const sorted = [...times].sort((a, b) => a - b);
      return { page: name, runs: sorted.length, 'p50 ms': percentile(sorted, 50).toFixed(3), 'p95 ms': percentile(sorted, 95).toFixed(3), 'min ms': sorted[0].toFixed(3) };
    });
    console.table(rows);
    const [first, deep] = rows.map((row) => Number(row['p50 ms']));
    const ratio = deep / first;
    console.log(`deep / first p50 ratio: ${ratio.toFixed(2)} (target <= 1.5): ${ratio <= 1.5 ? 'met' : 'NOT met'}`);
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
