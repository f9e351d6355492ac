import middy from '@middy/core';
import { authorize } from './auth';
import { databaseLifecycle } from './database';
import { jsonBody } from './json-body';
import { requestMetrics } from './metrics';
import { requestLogging } from './logging';
import { problemErrorHandler } from './problem';
import type { HttpHandler } from './types';

/**
 * Wraps a route handler in the one HTTP middleware stack. Order matters: metrics and logging come first
 * so that they see the final response, then the error handler so that its onError runs after every later one;
 * the caller is authorized before the body is parsed, and the body is parsed before a database
 * connection is taken, so neither a stranger nor bad input costs a connection.
 */
export function httpHandler(handler: HttpHandler) {
  return middy(handler)
    .use(requestMetrics())
    .use(requestLogging())
    .use(problemErrorHandler())
    .use(authorize())
    .use(jsonBody())
    .use(databaseLifecycle());
}
