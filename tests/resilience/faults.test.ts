import { readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { withDatabase } from '../../scripts/database-url';
import { migrateUp } from '../../shared/db/migrator';
import { loadContainer, type Container } from '../support/containers';
import { openSequelize } from '../support/databases';
import { invoke, lambdaContext, httpEvent, type HttpReply } from '../support/events';
import { createStoppablePostgres, type StoppablePostgres } from '../support/stoppable-postgres';

// Each test drives dozens of simulated containers against a real server: generous time on a loaded machine.
jest.setTimeout(120_000);

/**
 * Faults made for real on a server of this file's own: backends terminated, the server stopped and
 * started, too few connection slots. Its max_connections is low on purpose, and every statement is
 * logged with its application name so the test can read what the service sent.
 */
const MAX_CONNECTIONS = 12;
const ACQUIRE_TIMEOUT_MS = 1500;

let server: StoppablePostgres;
let databaseUrl: string;
const containers: Container[] = [];

function container(mode: 'reuse' | 'per-invocation', statementTimeoutMs = 3000): Container {
  const loaded = loadContainer({
    DATABASE_URL: databaseUrl,
    DB_POOL_MODE: mode,
    DB_CONNECT_TIMEOUT_MS: '1000',
    DB_ACQUIRE_TIMEOUT_MS: String(ACQUIRE_TIMEOUT_MS),
    DB_STATEMENT_TIMEOUT_MS: String(statementTimeoutMs),
  });
  containers.push(loaded);
  return loaded;
}

async function admin<T = any>(sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

const serviceBackends = async () =>
  Number((await admin(`SELECT count(*) FROM pg_stat_activity WHERE application_name = 'school-roster' AND datname = current_database()`))[0].count);

let sequence = 0;
const postUser = (c: Container) => invoke(c.createUser, { route: 'POST /users', body: { firstName: `User ${++sequence}` } });
const getUser = (c: Container, userId: string) => invoke(c.list, { route: 'GET /users/{userId}', pathParameters: { userId } });

async function timed(work: () => Promise<HttpReply>): Promise<HttpReply & { ms: number }> {
  const started = Date.now();
  const reply = await work();
  return { ...reply, ms: Date.now() - started };
}

const SERVICE_UNAVAILABLE = {
  status: 503,
  headers: { 'Content-Type': 'application/problem+json', 'Retry-After': expect.stringMatching(/^\d+$/) },
  body: { type: 'about:blank', title: 'Service Unavailable', status: 503, detail: expect.any(String), requestId: expect.any(String) },
};

beforeAll(async () => {
  server = await createStoppablePostgres({
    max_connections: String(MAX_CONNECTIONS),
    superuser_reserved_connections: '0',
    reserved_connections: '0',
    log_statement: 'all',
    log_line_prefix: "'%a|'",
  });
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query('CREATE DATABASE roster');
  await admin.end();
  databaseUrl = withDatabase(server.url, 'roster');
  const sequelize = openSequelize(databaseUrl);
  await migrateUp(sequelize);
  await sequelize.close();
}, 60_000);

afterEach(async () => {
  await Promise.all(containers.splice(0).map((c) => c.db.closeConnections()));
});

afterAll(() => server?.destroy());

describe.each(['reuse', 'per-invocation'] as const)('in %s mode', (mode) => {
  it('serves the next request after every backend of the service was terminated between two invocations', async () => {
    const warm = container(mode);
    const first = await postUser(warm);
    expect(first.status).toBe(201);

    const terminated = await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'school-roster' AND datname = current_database()`);
    expect(terminated.length).toBe(mode === 'reuse' ? 1 : 0);

    const read = await getUser(warm, first.body.userId);
    expect(read).toEqual({ status: 200, headers: { 'Content-Type': 'application/json', ETag: first.headers.ETag }, body: first.body });
    await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'school-roster' AND datname = current_database()`);
    expect((await postUser(warm)).status).toBe(201);
  });

  it('answers 503 within the acquire timeout while the database is down, and serves again once it is back, without a restart', async () => {
    const fleet = [container(mode), container(mode), container(mode), container(mode)];
    for (const warm of fleet) expect((await postUser(warm)).status).toBe(201);

    // Traffic keeps flowing while the server goes down under it; each container serves one call at a time.
    const during = Promise.all(
      fleet.map(async (warm, i) => {
        const replies = [];
        for (let n = 0; n < 5; n++) replies.push(await timed(() => ((n + i) % 2 ? postUser(warm) : getUser(warm, crypto.randomUUID()))));
        return replies;
      }),
    );
    await server.stop();
    try {
      for (const reply of (await during).flat()) {
        expect([201, 404, 503]).toContain(reply.status);
        expect(reply.ms).toBeLessThan(ACQUIRE_TIMEOUT_MS + 1000);
      }
      for (const warm of fleet) {
        const down = await timed(() => postUser(warm));
        expect(down.ms).toBeLessThan(ACQUIRE_TIMEOUT_MS + 1000);
        expect(down).toEqual({ ...SERVICE_UNAVAILABLE, ms: expect.any(Number) });
      }
    } finally {
      await server.start();
    }

    for (const warm of fleet) {
      expect((await postUser(warm)).status).toBe(201);
      expect((await getUser(warm, crypto.randomUUID())).status).toBe(404);
    }
  });

  it('answers 503 problem+json before the Lambda timeout and releases the connection of a statement that runs too long', async () => {
    // A statement the cancel missed would run until statement_timeout: far longer than the wait below.
    const statementTimeoutMs = 8000;
    const warm = container(mode, statementTimeoutMs);
    const slow = warm.wrap(async () => {
      await warm.db.getSequelize().query('SELECT pg_sleep(30)');
      return { statusCode: 200 };
    });

    const started = Date.now();
    const result = (await slow(httpEvent({ route: 'GET /users/{userId}', pathParameters: { userId: crypto.randomUUID() } }), lambdaContext('slow', 1500))) as { statusCode: number; headers: object; body: string };

    expect(Date.now() - started).toBeLessThan(1500);
    expect(result.statusCode).toBe(503);
    expect(result.headers).toEqual({ 'Content-Type': 'application/problem+json', 'Retry-After': '1' });
    expect(JSON.parse(result.body)).toMatchObject({ status: 503, detail: 'The request could not finish in time; retry later.' });
    // The cancelled statement ends on the server as soon as the cancel reaches it, and nothing of the
    // service runs on: not the statement, not a retry of it by the abandoned work. Waited for, on a loaded
    // machine, up to a bound well short of the statement timeout.
    const running = () => admin(`SELECT count(*) FROM pg_stat_activity WHERE application_name = 'school-roster' AND state = 'active' AND datname = current_database()`).then((rows) => Number(rows[0].count));
    const deadline = started + statementTimeoutMs - 3000;
    while ((await running()) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await running()).toBe(0);
    expect((await postUser(warm)).status).toBe(201);
  });
});

it('lets work abandoned at the deadline run no statement afterwards, such as a retry of the cancelled one', async () => {
  // Reuse mode, whose pool stays open after the invocation (per-invocation mode closes it).
  const warm = container('reuse');
  let late: Promise<unknown> | undefined;
  const slow = warm.wrap(async () => {
    // Still busy elsewhere when the early timeout answers; the statement comes after the invocation ended.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    late = warm.db.getSequelize().query('SELECT 1');
    await late;
    return { statusCode: 200 };
  });

  const result = (await slow(httpEvent({ route: 'GET /users/{userId}', pathParameters: { userId: crypto.randomUUID() } }), lambdaContext('slow', 1500))) as { statusCode: number };
  expect(result.statusCode).toBe(503);
  while (!late) await new Promise((resolve) => setTimeout(resolve, 50));

  await expect(late).rejects.toMatchObject({ name: 'DeadlineExceededError', statusCode: 503 });
  expect(await serviceBackends()).toBe(0);
  expect((await postUser(warm)).status).toBe(201);
});

it('answers 503 when a statement outlives statement_timeout, and the connection serves the next request', async () => {
  const warm = loadContainer({ DATABASE_URL: databaseUrl, DB_POOL_MODE: 'reuse', DB_STATEMENT_TIMEOUT_MS: '300' });
  containers.push(warm);
  const slow = warm.wrap(async () => {
    await warm.db.getSequelize().query('SELECT pg_sleep(5)');
    return { statusCode: 200 };
  });

  const started = Date.now();
  const result = (await slow(httpEvent({ route: 'GET /users/{userId}', pathParameters: { userId: crypto.randomUUID() } }), lambdaContext('slow'))) as { statusCode: number; headers: object };

  expect(Date.now() - started).toBeLessThan(1500);
  expect(result).toMatchObject({ statusCode: 503, headers: { 'Content-Type': 'application/problem+json', 'Retry-After': '1' } });
  expect((await postUser(warm)).status).toBe(201);
});

it('answers only 2xx or 503 when more containers call at once than the server has connections', async () => {
  const crowd = Array.from({ length: 24 }, (_, i) => container(i % 2 ? 'reuse' : 'per-invocation'));
  // Containers run side by side; each serves one invocation at a time, as Lambda does.
  const replies = (await Promise.all(crowd.map(async (c) => [await postUser(c), await postUser(c)]))).flat();

  const statuses = replies.map((r) => r.status);
  expect(statuses.filter((s) => s !== 201 && s !== 503)).toEqual([]);
  expect(statuses.filter((s) => s === 201).length).toBeGreaterThan(0);
  for (const reply of replies.filter((r) => r.status === 503)) expect(reply).toEqual(SERVICE_UNAVAILABLE);
});

it('leaves no connection behind after 1,000 invocations across containers of both modes', async () => {
  const fleet = Array.from({ length: 10 }, (_, i) => container(i < 5 ? 'reuse' : 'per-invocation'));
  const statuses = new Map<number, number>();
  for (let round = 0; round < 50; round++) {
    await Promise.all(
      fleet.map(async (c) => {
        const created = await postUser(c);
        const read = await getUser(c, created.body.userId);
        for (const status of [created.status, read.status]) statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }),
    );
  }
  expect(Object.fromEntries(statuses)).toEqual({ 201: 500, 200: 500 });

  // A warm reuse container keeps at most its one connection; per-invocation containers keep none.
  const byContainer = await serviceBackends();
  expect(byContainer).toBeLessThanOrEqual(5);
  await Promise.all(fleet.map((c) => c.db.closeConnections()));
  expect(await serviceBackends()).toBe(0);
}, 120_000);

it('sends no SET statement, which would pin an RDS Proxy connection', async () => {
  const warm = container('reuse');
  expect((await postUser(warm)).status).toBe(201);
  await warm.db.closeConnections();

  const log = readFileSync(path.join(server.dataDir, 'log'), 'utf8');
  const sent = log.split('\n').filter((line) => line.startsWith('school-roster|') && line.includes('statement:'));
  expect(sent.length).toBeGreaterThan(0);
  expect(sent.filter((line) => /statement:\s*SET\b/i.test(line))).toEqual([]);
});
