import type { Sequelize } from 'sequelize';

/**
 * Works around Sequelize v6 having hooks on pool acquire (`afterPoolAcquire`) but none on release. Every
 * release of a pooled connection (after a query, at a transaction's end) goes through
 * `connectionManager.releaseConnection`, a method Sequelize's types declare; wrapping it is the missing
 * hook. The one place the service relies on that; tests/resilience/library-behaviour.test.ts fails the day a
 * release stops passing through it.
 */
export function onPoolRelease(sequelize: Sequelize, listener: (connection: object) => void): void {
  const manager = sequelize.connectionManager;
  const release = manager.releaseConnection.bind(manager);
  manager.releaseConnection = (connection) => {
    listener(connection);
    release(connection);
  };
}
