import type { Sequelize } from 'sequelize';

/**
 * Works around Sequelize's `close()` being final: it drains the pool and replaces the connection manager's
 * `getConnection` with an own function that throws, which `initPools()` does not undo. Sequelize's AWS
 * Lambda guide (https://sequelize.org/docs/v6/other-topics/aws-lambda/) re-opens a closed pool as here,
 * by deleting that own property. tests/resilience/library-behaviour.test.ts fails the day close() works otherwise.
 */
export function isPoolClosed(sequelize: Sequelize): boolean {
  return Object.hasOwn(sequelize.connectionManager, 'getConnection');
}

/** Re-opens the pool of an instance whose pool was closed; does nothing to an open one. */
export function reopenPool(sequelize: Sequelize): void {
  if (!isPoolClosed(sequelize)) return;
  Reflect.deleteProperty(sequelize.connectionManager, 'getConnection');
  sequelize.connectionManager.initPools();
}
