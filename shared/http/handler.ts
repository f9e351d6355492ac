import middy from '@middy/core';
import { databaseLifecycle } from './database';
import { jsonBody } from './json-body';
import { problemErrorHandler } from './problem';
import type { HttpHandler } from './types';

/**
 * Wraps a route handler in the one HTTP middleware stack. Order matters: the error handler comes first
 * so that its onError runs last; the body is parsed before a database connection is taken, so bad input
 * costs no connection.
 */
export function httpHandler(handler: HttpHandler) {
  return middy(handler).use(problemErrorHandler()).use(jsonBody()).use(databaseLifecycle());
}
