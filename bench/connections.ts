import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withDatabase } from '../scripts/database-url';
import { freePort } from '../scripts/free-port';
import { startLocalPostgres } from '../scripts/local-postgres';

/**
 * `npm run bench:connections`: what one GET invocation costs in each connection mode, on loopback
 * without TLS (a VPC adds a round trip or two of latency to every figure that opens a connection):
 * - reuse, warm: back-to-back invocations on the pooled connection;
 * - reuse, after idle: the first invocation after more than a second idle pays the `SELECT 1` check;
 * - per-invocation: every invocation connects, queries and closes.
 * Each mode runs in a child process, as a container of its own (the config is read once, at load).
 */
type Scenario = 'reuse-warm' | 'reuse-after-idle' | 'per-invocation';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function measure(scenario: Scenario): Promise<void> {
  const { handler } = require('../functions/list') as typeof import('../functions/list');
  const { closeConnections } = require('../shared/db/sequelize') as typeof import('../shared/db/sequelize');
  const { httpEvent, lambdaContext } = require('../scripts/lambda-events') as typeof import('../scripts/lambda-events');
  const call = async () => {
    const event = httpEvent({ route: 'GET /users/{userId}', pathParameters: { userId: '00000000-0000-4000-8000-000000000000' } });
    const started = process.hrtime.bigint();
    const result = (await handler(event as never, lambdaContext())) as { statusCode: number };
    if (result.statusCode !== 404) throw new Error(`unexpected status ${result.statusCode}`);
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  const samples: number[] = [];
  const runs = scenario === 'reuse-after-idle' ? 15 : 300;
  for (let i = 0; i < 5; i++) await call();
  for (let i = 0; i < runs; i++) {
    if (scenario === 'reuse-after-idle') await new Promise((resolve) => setTimeout(resolve, 1100));
    samples.push(await call());
  }
  await closeConnections();
  console.log(JSON.stringify({ scenario, runs, medianMs: median(samples) }));
}

async function main(): Promise<void> {
  let databaseUrl = process.env.DATABASE_URL;
  let stop = async () => {};
  if (!databaseUrl) {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'roster-bench-pg-'));
    const server = await startLocalPostgres({ dataDir, port: await freePort(), persistent: false });
    databaseUrl = withDatabase(server.serverUrl, 'postgres');
    stop = async () => {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    };
  }
  try {
    const migrate = spawnSync('npx', ['tsx', 'scripts/migrate.ts'], { env: { ...process.env, DATABASE_URL: databaseUrl }, encoding: 'utf8' });
    if (migrate.status !== 0) throw new Error(migrate.stderr);
    const rows = (['reuse-warm', 'reuse-after-idle', 'per-invocation'] as Scenario[]).map((scenario) => {
      const mode = scenario === 'per-invocation' ? 'per-invocation' : 'reuse';
      const child = spawnSync('npx', ['tsx', __filename], {
        env: { ...process.env, DATABASE_URL: databaseUrl, DB_POOL_MODE: mode, BENCH_SCENARIO: scenario },
        encoding: 'utf8',
      });
      if (child.status !== 0) throw new Error(child.stderr);
      return JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '') as { scenario: Scenario; runs: number; medianMs: number };
    });
    const warm = rows[0].medianMs;
    console.table(rows.map((r) => ({ scenario: r.scenario, runs: r.runs, 'median ms': r.medianMs.toFixed(2), 'x reuse-warm': (r.medianMs / warm).toFixed(1) })));
  } finally {
    await stop();
  }
}

const scenario = process.env.BENCH_SCENARIO as Scenario | undefined;
(scenario ? measure(scenario) : main()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
