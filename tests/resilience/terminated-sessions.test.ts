import { logger } from '../../shared/logger';
import { openRosterSource } from '../../shared/roster/sources';
import { runRosterSync } from '../../shared/roster/sync';
import { loadContainer, type Container } from '../support/containers';
import { resetDatabase, withClient } from '../support/db';
import { invoke } from '../support/events';
import { counts, roster11, smallDistrict11, snapshot, writeRoster } from '../support/roster';
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
    // The record with the ETag its POST answered (every single-record GET carries one, docs/lifecycle.md).
    expect(read).toEqual({ status: 200, headers: { 'Content-Type': 'application/json', ETag: after.headers.ETag }, body: after.body });
    expect(await firstNames()).toEqual(['Before', 'After']);
  });
});

it('fails the roster sync whose session the server ended while it read its source, changing nothing, and the next run applies', async () => {
  const { orgs, users } = smallDistrict11();
  const folder = writeRoster(roster11(orgs, users));
  const warn = jest.spyOn(logger, 'warn');
  const source = await openRosterSource(folder);
  const open = source.open.bind(source);
  let terminated = false;
  // Between two of the run's statements: it holds its lock and is reading the manifest.
  source.open = async (fileName) => {
    if (!terminated) {
      terminated = true;
      const { rows } = await withClient((c) => c.query(`SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE application_name = 'school-roster-sync' AND datname = current_database()`));
      expect(rows).toEqual([{ ended: true }]);
      while (!warn.mock.calls.some(([message]) => message === 'roster sync connection lost')) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return open(fileName);
  };

  const failed = await runRosterSync({ rosterSource: source });

  expect(failed).toMatchObject({
    status: 'failed',
    reason: expect.stringMatching(/^The sync failed and changed nothing: /),
    users: counts(),
    schools: counts(),
  });
  expect(await snapshot()).toMatchObject({ users: [], schools: [] });
  warn.mockRestore();

  const next = await runRosterSync({ source: folder });
  expect(next).toMatchObject({ status: 'succeeded', users: counts(users.length) });
});
