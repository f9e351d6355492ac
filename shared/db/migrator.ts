import type { Sequelize } from 'sequelize';
import { SequelizeStorage, Umzug, type MigrationMeta } from 'umzug';
import { migrations } from '../../migrations';
import { assertSupportedServer } from './server-version';
import { ADVISORY_LOCKS } from './advisory-locks';


function createMigrator(sequelize: Sequelize) {
  return new Umzug({
    migrations,
    context: sequelize,
    storage: new SequelizeStorage({ sequelize, tableName: 'SequelizeMeta' }),
    logger: undefined,
  });
}

/** How often a migrator waiting for another one's lock asks again. */
const LOCK_POLL_MS = 200;

type LockConnection = { query(sql: string, values?: unknown[]): Promise<{ rows: Array<{ locked: boolean }> }> };

/**
 * Takes the migration lock, asking again every LOCK_POLL_MS until the other run lets it go. A waiter
 * must not block inside `pg_advisory_lock`: the blocked statement keeps a snapshot open, and the other
 * run's CREATE INDEX CONCURRENTLY waits for every older snapshot to end, so each would wait on the
 * other forever. Between two tries this session holds no snapshot.
 */
async function acquireMigrationLock(connection: LockConnection): Promise<void> {
  for (;;) {
    const { rows } = await connection.query('SELECT pg_try_advisory_lock($1) AS locked', [ADVISORY_LOCKS.migration]);
    if (rows[0].locked) return;
    await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
  }
}

/**
 * Runs `work` while holding a session advisory lock on a connection of its own, so that two deploys
 * (or a deploy and `npm run migrate`) never apply the same migration twice.
 */
async function withMigrationLock<T>(sequelize: Sequelize, work: () => Promise<T>): Promise<T> {
  const connection = (await sequelize.connectionManager.getConnection({ type: 'write' })) as LockConnection;
  try {
    await acquireMigrationLock(connection);
    try {
      return await work();
    } finally {
      await connection.query('SELECT pg_advisory_unlock($1)', [ADVISORY_LOCKS.migration]);
    }
  } finally {
    sequelize.connectionManager.releaseConnection(connection as never);
  }
}

/**
 * Applies every pending migration, then `afterwards` under the same lock (two runs must not create the
 * same role or grant on the same tables at once); safe to run twice and beside a running service.
 */
export async function migrateUp(sequelize: Sequelize, afterwards?: () => Promise<void>): Promise<string[]> {
  return withMigrationLock(sequelize, async () => {
    await assertSupportedServer(sequelize);
    const applied = await createMigrator(sequelize).up();
    await afterwards?.();
    return applied.map((m: MigrationMeta) => m.name);
  });
}

/** Reverts migrations down to and including `to`, or all of them when `to` is 0 (Umzug's `down({ to })`). */
export async function migrateDown(sequelize: Sequelize, to: string | 0 = 0): Promise<string[]> {
  return withMigrationLock(sequelize, async () => {
    const reverted = await createMigrator(sequelize).down({ to });
    return reverted.map((m: MigrationMeta) => m.name);
  });
}

/** The names of the applied migrations, oldest first. */
export async function appliedMigrations(sequelize: Sequelize): Promise<string[]> {
  return (await createMigrator(sequelize).executed()).map((m: MigrationMeta) => m.name);
}
