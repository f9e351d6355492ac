/**
 * `npm run bench:changes`: the change feed (docs/change-feed.md).
 * 1. A page of GET /changes at the start of a feed of 1,000,000 events and 1,000,000 events deep (a
 *    keyset page must cost what the first costs), through the function in-process as a warm Lambda,
 *    plus the buffers each page's query reads (EXPLAIN ANALYZE), which load on the machine cannot blur.
 * 2. Webhook delivery latency: from a change's commit to its arrival at a receiver on 127.0.0.1, when the
 *    deliverer runs right after the commit (add the schedule's wait: up to 60 s deployed, 5 s locally).
 * 3. The events' share of a 200,000-user first bulk import (bench:sync's roster): the import, then the
 *    same events written again alone (same SQL, in a transaction rolled back), seconds apart, so that the
 *    machine's load falls on both alike. An A/B run of bench:sync against main is noisier on a shared machine.
 * Against a throwaway embedded PostgreSQL, or a `roster_bench` database on the server of DATABASE_URL.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { generateRoster } from '../scripts/roster-generator';
import { migrateUp } from '../shared/db/migrator';
import { openSequelize } from '../scripts/databases';
import { withBenchDatabase } from './support/bench-database';
import { httpEvent, lambdaContext } from '../scripts/lambda-events';

const EVENTS = 1_000_000;
/** Events per committed transaction in the seeded feed. */
const PER_COMMIT = 10;
const PAGE = 100;
const WARMUP = 30;
const RUNS = Number(process.env.BENCH_RUNS ?? 300);
const DELIVERIES = Number(process.env.BENCH_DELIVERIES ?? 200);

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const summary = (times: number[]) => {
  const sorted = [...times].sort((a, b) => a - b);
  return { runs: sorted.length, 'p50 ms': percentile(sorted, 50).toFixed(3), 'p95 ms': percentile(sorted, 95).toFixed(3), 'min ms': sorted[0].toFixed(3) };
};

/**
 * 1,000,000 events in commits of PER_COMMIT, as the seal leaves them (set-based; positions in txid order).
 * Their transaction ids are far above any real one, so the commits the bench then makes never meet them.
 */
async function seed(url: string): Promise<void> {
  const sequelize = openSequelize(url);
  try {
    await migrateUp(sequelize);
    await sequelize.query(`
      INSERT INTO change_commits ("txid", "committedAt") OVERRIDING SYSTEM VALUE
      SELECT (1000000000000 + c)::text::xid8, now() - interval '1 day' + c * interval '1 ms' FROM generate_series(1, ${EVENTS / PER_COMMIT}) AS c;
      INSERT INTO change_events ("txid", "type", "actorKind", "actorId", "entityKind", "entityId", "data")
      SELECT (1000000000000 + 1 + (i - 1) / ${PER_COMMIT})::text::xid8, 'user.updated', 'api', 'bench', 'user', gen_random_uuid(),
             jsonb_build_object('userId', gen_random_uuid(), 'firstName', 'First' || i, 'lastName', 'Last' || i, 'email', 'user' || i || '@example.org',
                                'userName', NULL, 'sourcedId', NULL, 'createdAt', '2026-12-01T00:00:00.000Z', 'updatedAt', '2026-12-01T00:00:00.000Z')
      FROM generate_series(1, ${EVENTS}) AS i;`);
    await sequelize.query('VACUUM ANALYZE change_commits');
    await sequelize.query('VACUUM ANALYZE change_events');
  } finally {
    await sequelize.close();
  }
}

async function feedAtDepth(): Promise<void> {
  const { handler } = await import('../functions/changes.js');
  const { encodeFeedCursor } = await import('../shared/schemas.js');
  const { getSequelize } = await import('../shared/db/sequelize.js');
  // The cursor a consumer holds after 9,999 pages of 100: the last page of the million.
  const [[deep]] = (await getSequelize().query(
    `SELECT c."position", e."id" FROM change_commits c JOIN change_events e ON e."txid" = c."txid" ORDER BY c."position", e."id" OFFSET ${EVENTS - PAGE - 1} LIMIT 1`,
  )) as [Array<{ position: string; id: string }>, unknown];
  const pages: Record<string, Record<string, string>> = {
    first: { limit: String(PAGE) },
    [`${(EVENTS - PAGE).toLocaleString('en')} deep`]: { limit: String(PAGE), after: encodeFeedCursor({ position: String(deep.position), eventId: String(deep.id) }) },
  };
  const request = async (query: Record<string, string>) => {
    const started = performance.now();
    const result = (await handler(httpEvent({ route: 'GET /changes', query }) as never, lambdaContext())) as { statusCode: number; body: string };
    const elapsed = performance.now() - started;
    if (result.statusCode !== 200 || JSON.parse(result.body).items.length !== PAGE) throw new Error(`unexpected reply ${result.statusCode}`);
    return elapsed;
  };
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(pages).map((name) => [name, []]));
  for (let i = 0; i < WARMUP; i++) for (const query of Object.values(pages)) await request(query);
  for (let i = 0; i < RUNS; i++) for (const [name, query] of Object.entries(pages)) samples[name].push(await request(query));
  const { PAGE_SQL } = await import('../shared/changes/feed.js');
  const buffers = async (after: string | undefined) => {
    const bind = after ? [deep.position, deep.id, PAGE] : [null, null, PAGE];
    const [plan] = (await getSequelize().query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${PAGE_SQL}`, { bind })) as [Array<{ 'QUERY PLAN': Array<{ Plan: Record<string, number>; 'Execution Time': number }> }>, unknown];
    const top = plan[0]['QUERY PLAN'][0];
    return { buffers: top.Plan['Shared Hit Blocks'] + top.Plan['Shared Read Blocks'], 'server ms': top['Execution Time'].toFixed(3) };
  };
  const firstBuffers = await buffers(undefined);
  const deepBuffers = await buffers('deep');
  const rows = Object.entries(samples).map(([name, times], index) => ({ page: name, ...summary(times), ...(index === 0 ? firstBuffers : deepBuffers) }));
  console.log(`GET /changes?limit=${PAGE} over ${EVENTS.toLocaleString('en')} events in commits of ${PER_COMMIT}:`);
  console.table(rows);
  const [first, deepP50] = rows.map((row) => Number(row['p50 ms']));
  console.log(`deep / first p50 ratio: ${(deepP50 / first).toFixed(2)}`);
}

async function deliveryLatency(): Promise<void> {
  const { createSchool } = await import('../shared/services/schools.js');
  const { createWebhook } = await import('../shared/webhooks/subscriptions.js');
  const { deliverDue } = await import('../shared/webhooks/delivery.js');
  const { sendDelivery } = await import('../shared/webhooks/send.js');
  const arrived = new Map<string, number>();
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      arrived.set(JSON.parse(body).entity.id, performance.now());
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  await createWebhook({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks` });
  const latencies: number[] = [];
  for (let i = 0; i < DELIVERIES; i++) {
    const { record: school } = await createSchool({ name: `Bench ${i}` }, { kind: 'api', id: 'bench' });
    const committed = performance.now();
    await deliverDue({ send: sendDelivery });
    const at = arrived.get(school.schoolId);
    if (at === undefined) throw new Error('an event was not delivered');
    latencies.push(at - committed);
  }
  server.close();
  console.log(`Webhook delivery, commit to receiver on 127.0.0.1, deliverer run right after the commit (${DELIVERIES} events):`);
  console.table([{ ...summary(latencies) }]);
}

const ROSTER_USERS = Number(process.env.BENCH_ROSTER_USERS ?? 200_000);
/** Which parts run: `feed`, `delivery`, `share` (all by default). */
const PARTS = new Set((process.env.BENCH_PARTS ?? 'feed,delivery,share').split(','));

async function syncEventsShare(): Promise<void> {
  const { runRosterSync } = await import('../shared/roster/sync.js');
  const { insertEventsSql } = await import('../shared/changes/events.js');
  const { getSequelize } = await import('../shared/db/sequelize.js');
  const out = mkdtempSync(path.join(os.tmpdir(), 'bench-changes-roster-'));
  try {
    const generated = await generateRoster({ users: ROSTER_USERS, schools: 200, out, seed: 1 });
    const sequelize = getSequelize();
    await sequelize.query('TRUNCATE users, schools, user_schools, roster_sync_runs CASCADE');
    const before = Number(((await sequelize.query('SELECT count(*) AS n FROM change_events')) as [Array<{ n: string }>, unknown])[0][0].n);
    const run = await runRosterSync({ source: out });
    if (run.status !== 'succeeded') throw new Error(`sync ${run.status}: ${run.reason}`);
    const after = Number(((await sequelize.query('SELECT count(*) AS n FROM change_events')) as [Array<{ n: string }>, unknown])[0][0].n);
    // The same events again, from the rows the run wrote, by the same SQL; rolled back.
    const actor = `'roster'::varchar, '${run.runId}'::varchar`;
    const started = performance.now();
    await sequelize.transaction(async (transaction) => {
      // As the sync's own connection has it: no API statement timeout on a district-sized statement.
      await sequelize.query('SET LOCAL statement_timeout = 0', { transaction });
      for (const [table, kind] of [['schools', 'school'], ['users', 'user'], ['user_schools', 'membership']] as const) {
        await sequelize.query(insertEventsSql({ from: table, kind, type: `${kind}.created`, actor }), { transaction });
      }
      throw new Error('rollback');
    }).catch((error: Error) => {
      if (error.message !== 'rollback') throw error;
    });
    const eventsMs = performance.now() - started;
    console.log(`The events' share of a first bulk import (${generated.users} users, ${generated.schools} schools, ${generated.memberships} memberships):`);
    console.table([
      {
        'import ms': run.durationMs,
        events: after - before,
        'events alone ms': Math.round(eventsMs),
        share: `${((eventsMs / run.durationMs) * 100).toFixed(1)}%`,
        'per 1,000 events ms': ((eventsMs / (after - before)) * 1000).toFixed(1),
      },
    ]);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

async function main() {
  await withBenchDatabase(async (url) => {
    if (PARTS.has('feed')) {
      const seedStart = performance.now();
      await seed(url);
      console.log(`seeded ${EVENTS.toLocaleString('en')} events in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);
    } else {
      const sequelize = openSequelize(url);
      await migrateUp(sequelize);
      await sequelize.close();
    }
    // Imported only now: the service's config reads DATABASE_URL and WEBHOOK_KEY when it loads.
    process.env.DATABASE_URL = url;
    // The sync's own connection has no API timeouts; the events written alone (part 3) need the same.
    process.env.FUNCTION_TIMEOUT_MS ??= '900000';
    process.env.DB_STATEMENT_TIMEOUT_MS ??= '600000';
    process.env.WEBHOOK_KEY ??= randomBytes(32).toString('base64');
    process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
    process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
    if (PARTS.has('feed')) await feedAtDepth();
    if (PARTS.has('delivery')) await deliveryLatency();
    if (PARTS.has('share')) await syncEventsShare();
    const { closeConnections } = await import('../shared/db/sequelize.js');
    await closeConnections();
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
