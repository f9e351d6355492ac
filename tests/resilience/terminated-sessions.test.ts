import { loadContainer, type Container } from '../support/containers';
import { resetDatabase, withClient } from '../support/db';
import { invoke } from '../support/events';
import { createBreakableProxy, type BreakableProxy } from '../support/tcp-proxy';

/**
 * The server ends a session while none of its statements runs (a shutdown, a failover,
 * pg_terminate_backend): pg reports it as an 'error' event on the client, which crashes the process
 * when nothing listens. Each test here fails with that crash (an uncaught 57P01) when a listener is missing.
 */
let proxy: BreakableProxy;
const containers: Container[] = [];

function container(mode: 'reuse' | 'per-invocation'): Container {
  const url = new URL(process.env.DATABASE_URL!);
  url.port = String(proxy.port);
  const loaded = loadContainer({ DATABASE_URL: url.toString(), DB_POOL_MODE: mode });
  containers.push(loaded);
  return loaded;
}

const postUser = (c: Container, firstName: string) => invoke(c.createUser, { route: 'POST /users', body: { firstName } });
const firstNames = () => withClient(async (c) => (await c.query('SELECT "firstName" FROM users ORDER BY "createdAt"')).rows.map((row) => row.firstName));

beforeAll(async () => {
  const url = new URL(process.env.DATABASE_URL!);
  proxy = await createBreakableProxy(Number(url.port));
});

beforeEach(resetDatabase);

afterEach(async () => {
  await Promise.all(containers.splice(0).map((c) => c.db.closeConnections()));
});

afterAll(() => proxy?.close());

describe.each(['reuse', 'per-invocation'] as const)('in %s mode, a connection the server ends just as its login completes', (mode) => {
  it('is dropped, and the request is served on a new one', async () => {
    const cold = container(mode);

    const terminatedBefore = proxy.terminatedLogins;
    proxy.terminateNextLogin();
    const first = await postUser(cold, 'First');

    expect(proxy.terminatedLogins).toBe(terminatedBefore + 1);
    expect(first.status).toBe(201);
    expect(await firstNames()).toEqual(['First']);
  });

  it('is dropped on a warm container too, and the write it was meant for is applied once', async () => {
    const warm = container(mode);
    expect((await postUser(warm, 'Before')).status).toBe(201);
    // A new login on the next invocation: per-invocation mode closes its pool after each one.
    if (mode === 'reuse') {
      await warm.db.closeConnections();
      warm.db.openConnections();
    }

    const terminatedBefore = proxy.terminatedLogins;
    proxy.terminateNextLogin();
    const after = await postUser(warm, 'After');

    expect(proxy.terminatedLogins).toBe(terminatedBefore + 1);
    expect(after.status).toBe(201);
    const read = await invoke(warm.list, { route: 'GET /users/{userId}', pathParameters: { userId: after.body.userId } });
    expect(read).toEqual({ status: 200, headers: { 'Content-Type': 'application/json' }, body: after.body });
    expect(await firstNames()).toEqual(['Before', 'After']);
  });
});
