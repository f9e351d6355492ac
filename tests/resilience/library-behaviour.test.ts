import type { Sequelize } from 'sequelize';
import { cancelRunningStatement } from '../../shared/db/cancel-request';
import { onPoolRelease } from '../../shared/db/pool-release-hook';
import { isPoolClosed, reopenPool } from '../../shared/db/reopen-closed-pool';
import { openSequelize } from '../support/databases';

/**
 * The library behaviour the service's three workarounds rely on (shared/db/pool-release-hook.ts,
 * reopen-closed-pool.ts, cancel-request.ts), pinned so that an upgrade of Sequelize or pg that changes
 * it fails here, by name, rather than as a leaked connection in production.
 */
let sequelize: Sequelize;
beforeEach(() => {
  sequelize = openSequelize(process.env.DATABASE_URL!);
});
afterEach(async () => {
  reopenPool(sequelize);
  await sequelize.close();
});

describe('Sequelize releases every pooled connection through connectionManager.releaseConnection', () => {
  it('for a query and for a transaction, once per acquire, with the connection the acquire hook saw', async () => {
    const acquired: object[] = [];
    const released: object[] = [];
    sequelize.addHook('afterPoolAcquire', (connection) => {
      acquired.push(connection);
    });
    onPoolRelease(sequelize, (connection) => released.push(connection));

    await sequelize.query('SELECT 1');
    await sequelize.transaction(async (transaction) => {
      await sequelize.query('SELECT 1', { transaction });
      await sequelize.query('SELECT 2', { transaction });
    });

    expect(acquired).toHaveLength(2);
    expect(released).toHaveLength(2);
    expect(released.every((connection, i) => connection === acquired[i])).toBe(true);
  });
});

describe("Sequelize's close() and re-opening the pool as its AWS Lambda guide does", () => {
  it('close() leaves a pool that refuses work until reopenPool, which serves again', async () => {
    await sequelize.query('SELECT 1');
    expect(isPoolClosed(sequelize)).toBe(false);

    await sequelize.close();

    expect(isPoolClosed(sequelize)).toBe(true);
    await expect(sequelize.query('SELECT 1')).rejects.toThrow(/called after the connection manager was closed/);
    reopenPool(sequelize);
    expect(isPoolClosed(sequelize)).toBe(false);
    await expect(sequelize.query('SELECT 1 AS one', { plain: true })).resolves.toEqual({ one: 1 });
  });
});

describe("pg's CancelRequest from a client's process id and secret key", () => {
  it('stops the statement running on a pooled client', async () => {
    let running: object | undefined;
    sequelize.addHook('afterPoolAcquire', (connection) => {
      running = connection;
    });
    const started = Date.now();
    const sleep = sequelize.query('SELECT pg_sleep(20)').catch((error: unknown) => error);
    while (!running) await new Promise((resolve) => setTimeout(resolve, 20));
    // The statement must have reached the server before it can be cancelled.
    await new Promise((resolve) => setTimeout(resolve, 200));

    await cancelRunningStatement(running);

    expect(await sleep).toMatchObject({ name: 'SequelizeDatabaseError', parent: { code: '57014' } });
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
