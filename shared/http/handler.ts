import middy from '@middy/core';
import { config, TIMEOUT_EARLY_MS } from '../config';
import { withConnectionScope } from '../db/sequelize';
import { DeadlineExceededError } from '../errors';
import { authorize, authorizeSchoolDistrict } from './auth';
import { databaseLifecycle } from './database';
import { jsonBody } from './json-body';
import { requestMetrics } from './metrics';
import { requestLogging } from './logging';
import { problemErrorHandler } from './problem';
import { preparedAtInit } from './provisioned';
import type { HttpHandler } from './types';

/**
 * Middy stops waiting for the handler TIMEOUT_EARLY_MS before Lambda's timeout and runs the error stack
 * instead: the caller gets a 503 problem+json and the database lifecycle releases what the abandoned work
 * held, where a Lambda timeout would answer nothing and leave the connection checked out.
 */
const timeoutEarly = {
  timeoutEarlyInMillis: TIMEOUT_EARLY_MS,
  timeoutEarlyResponse: () => {
    throw new DeadlineExceededError();
  },
};

/**
 * Wraps a route handler in the one HTTP middleware stack. Order matters: metrics and logging come first
 * so that they see the final response, then the error handler so that its onError runs after every later one;
 * the caller is authorized before the body is parsed, and the body is parsed before a database
 * connection is taken, so neither a stranger nor bad input costs a connection (only a district-limited
 * token on a school's route needs one to be authorized: the school's district, after the body). In a provisioned
 * environment the connection is opened at load (shared/http/provisioned.ts).
 */
export function httpHandler(handler: HttpHandler) {
  const stack = middy(handler, timeoutEarly)
    .use(requestMetrics())
    .use(requestLogging())
    .use(problemErrorHandler())
    .use(authorize())
    .use(jsonBody())
    .use(databaseLifecycle())
    .use(authorizeSchoolDistrict());
  const invoke = withConnectionScope(stack);
  return config.lambda.provisioned ? preparedAtInit(invoke) : invoke;
}
