import type { MiddlewareObj } from '@middy/core';
import { config } from '../config';
import { closeConnections, getSequelize, openConnections } from '../db/sequelize';
import type { HttpEvent, HttpResult } from './types';

/**
 * The database lifecycle of SPEC §3, like @middy/rds: the cached instance is created on the first
 * invocation; in `per-invocation` mode the pool is re-opened before the handler and closed after it,
 * on success and on error alike.
 */
export function databaseLifecycle<E = HttpEvent, R = HttpResult>(): MiddlewareObj<E, R> {
  const perInvocation = config.database.poolMode === 'per-invocation';
  const release = async () => {
    if (perInvocation) await closeConnections();
  };
  return {
    before: () => {
      getSequelize();
      if (perInvocation) openConnections();
    },
    after: release,
    onError: release,
  };
}
