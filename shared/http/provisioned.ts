import { openConnectionAtInit } from '../db/sequelize';
import { logger } from '../logger';

type Handler<A extends unknown[], R> = (...args: A) => Promise<R>;

/** A handler whose environment started its init work at load; `ready` settles when that work is done. */
export type PreparedHandler<A extends unknown[], R> = Handler<A, R> & { ready: Promise<void> };

/**
 * A provisioned environment (AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency) is initialised before
 * any request and billed for it, so the work of a first request moves into init: the connection is opened
 * at load. `ready` never rejects: a database that cannot be reached then is logged and left to the first
 * request, which retries and answers 503 as any request would. Each invocation waits for `ready`, so a
 * runtime that did not wait for it at init (scripts/esbuild-plugins.js, awaitInitWhenProvisioned) still
 * gets a consistent pool.
 */
export function preparedAtInit<A extends unknown[], R>(invoke: Handler<A, R>): PreparedHandler<A, R> {
  const started = performance.now();
  const ready = openConnectionAtInit().then(
    // The line also compiles the logger's path before the first request's.
    () => logger.info('environment initialised', { connectionMs: Math.round(performance.now() - started) }),
    (error: unknown) => logger.warn('database connection at init failed', { error }),
  );
  return Object.assign(
    async (...args: A) => {
      await ready;
      return invoke(...args);
    },
    { ready },
  );
}
