import { loadContainer, type Container } from '../support/containers';
import { resetDatabase, withClient } from '../support/db';
import { invoke } from '../support/events';
import { createBreakableProxy, type BreakableProxy } from '../support/tcp-proxy';

/**
 * Reuse mode's promise (docs/operations.md#idle-connections-on-the-server): a connection that died while
 * the container was frozen is detected and replaced without failing the request. The service reaches Postgres through a proxy that breaks its
 * connections silently, as a NAT gateway or an idle timeout does during a freeze.
 */
let proxy: BreakableProxy;
let warm: Container;

const postUser = (firstName: string) => invoke(warm.createUser, { route: 'POST /users', body: { firstName } });
const userCount = () => withClient(async (c) => Number((await c.query('SELECT count(*) FROM users')).rows[0].count));
/** Longer than the idle time below which a pooled connection is trusted without a check. */
const freeze = () => new Promise((resolve) => setTimeout(resolve, 1100));

beforeAll(async () => {
  await resetDatabase();
  const url = new URL(process.env.DATABASE_URL!);
  proxy = await createBreakableProxy(Number(url.port));
  url.port = String(proxy.port);
  warm = loadContainer({ DATABASE_URL: url.toString(), DB_POOL_MODE: 'reuse' });
});

afterAll(async () => {
  await warm.db.closeConnections();
  await proxy.close();
});

it('creates the user on a fresh connection when the pooled one died while the container was frozen', async () => {
  expect((await postUser('Before')).status).toBe(201);

  proxy.breakOpenConnections();
  await freeze();
  const after = await postUser('After');

  expect(after.status).toBe(201);
  expect(await userCount()).toBe(2);
  await withClient(async (c) => {
    const { rows } = await c.query('SELECT "firstName" FROM users ORDER BY "createdAt"');
    expect(rows).toEqual([{ firstName: 'Before' }, { firstName: 'After' }]);
  });
});

it('serves reads on a fresh connection after the same fault, without the idle check to help', async () => {
  const created = await postUser('Reader');
  proxy.breakOpenConnections();

  const read = await invoke(warm.list, { route: 'GET /users/{userId}', pathParameters: { userId: created.body.userId } });

  expect(read).toEqual({ status: 200, headers: { 'Content-Type': 'application/json', ETag: created.headers.ETag }, body: created.body });
});
