import type { MiddlewareObj } from '@middy/core';
import { config } from '../config';
import { checkIdleConnection, getSequelize, openConnections, releaseInvocationConnections } from '../db/sequelize';
import type { HttpEvent, HttpResult } from './types';

/**
 * The database lifecycle of docs/operations.md#connections, like @middy/rds: the cached instance is created on the first
 * invocation. In `reuse` mode a connection that idled through a freeze is checked before the handler
 * meets it; in `per-invocation` mode the pool is re-opened before the handler. After it, on success, on
 * error and on the early-timeout path alike, nothing the invocation checked out stays checked out (and in
 * `per-invocation` mode the pool is closed).
 */
export function databaseLifecycle<E = HttpEvent, R = HttpResult>(): MiddlewareObj<E, R> {
  const perInvocation = config.database.poolMode === 'per-invocation';
  return {
    before: async () => {
      getSequelize();
      if (perInvocation) openConnections();
      else await checkIdleConnection();
    },
    after: releaseInvocationConnections,
    onError: releaseInvocationConnections,
  };
}
