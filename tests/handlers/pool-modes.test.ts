import type { Context } from 'aws-lambda';
import { resetDatabase, withClient } from '../support/db';
import { httpEvent, lambdaContext } from '../support/events';

type Handler = (event: unknown, context: Context) => Promise<{ statusCode: number }>;

/** A fresh module registry is a fresh Lambda container: config and the Sequelize instance load anew. */
function loadContainer(poolMode: string): { createUser: Handler; close(): Promise<void> } {
  let container!: { createUser: Handler; close(): Promise<void> };
  jest.isolateModules(() => {
    process.env.DB_POOL_MODE = poolMode;
    container = {
      createUser: require('../../functions/create-user').handler,
      close: require('../../shared/db/sequelize').closeConnections,
    };
    // Sequelize requires its dialect when the instance is created: inside the isolated registry, or its
    // transactions would meet another registry's classes (as tests/support/containers.ts does).
    require('../../shared/db/sequelize').getSequelize();
  });
  delete process.env.DB_POOL_MODE;
  return container;
}

/** When the test's container was loaded (the server's clock): older connections belong to someone else. */
let since: Date;

const serviceConnections = () =>
  withClient(async (c) => {
    const { rows } = await c.query(
      `SELECT pid FROM pg_stat_activity
        WHERE application_name = 'school-roster' AND datname = current_database() AND backend_start >= $1`,
      [since],
    );
    return rows.map((row) => row.pid as number);
  });

const invokeCreate = (handler: Handler, n: number) =>
  handler(httpEvent({ route: 'POST /users', body: { firstName: `User ${n}` } }), lambdaContext());

beforeEach(async () => {
  await resetDatabase();
  since = await withClient(async (c) => (await c.query('SELECT now() AS now')).rows[0].now as Date);
});

describe('DB_POOL_MODE', () => {
  it('reuse: warm invocations share one connection, which outlives them', async () => {
    const container = loadContainer('reuse');
    try {
      for (let n = 0; n < 5; n++) expect((await invokeCreate(container.createUser, n)).statusCode).toBe(201);

      const pids = await serviceConnections();
      expect(pids).toHaveLength(1);
      await invokeCreate(container.createUser, 5);
      expect(await serviceConnections()).toEqual(pids);
    } finally {
      await container.close();
    }
  });

  it('per-invocation: each invocation closes its connection before it returns, on success and on error', async () => {
    const container = loadContainer('per-invocation');
    for (let n = 0; n < 3; n++) {
      expect((await invokeCreate(container.createUser, n)).statusCode).toBe(201);
      expect(await serviceConnections()).toEqual([]);
    }
    await withClient((c) => c.query(`INSERT INTO users ("firstName", "userName") VALUES ('Taken', 'taken')`));
    const conflict = await container.createUser(httpEvent({ route: 'POST /users', body: { firstName: 'X', userName: 'taken' } }), lambdaContext());

    expect(conflict.statusCode).toBe(409);
    expect(await serviceConnections()).toEqual([]);
  });
});
