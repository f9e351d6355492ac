import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { toHttpError } from '../db/errors';
import { HttpError, UnauthorizedError, ValidationError } from '../errors';
import { logger } from '../logger';
import { OneRosterQueryError, statusInfo, type OneRosterCodeMinor } from '../oneroster/errors';
import { routeOf } from './routes';
import type { HttpEvent, HttpResult } from './types';

/**
 * API Gateway's own 401 (its JWT authorizer's body and challenge): deployed, a caller without a valid token
 * never reaches a function, so the local API's token check answers exactly what the gateway answers
 * (docs/decisions/0001-authentication-at-the-gateway.md).
 */
function gatewayUnauthorized(error: UnauthorizedError): HttpResult {
  return { statusCode: 401, headers: { 'Content-Type': 'application/json', ...error.headers }, body: JSON.stringify({ message: 'Unauthorized' }) };
}

/** Renders an error as RFC 9457 problem+json; anything not meant for the caller becomes a bare 500. */
function problemResponse(error: unknown, context: Pick<Context, 'awsRequestId'>): HttpResult {
  if (error instanceof UnauthorizedError) return gatewayUnauthorized(error);
  const known = error instanceof HttpError && error.expose ? error : undefined;
  const status = known?.statusCode ?? 500;
  const body = {
    type: 'about:blank',
    title: known?.title ?? 'Internal Server Error',
    status,
    detail: known?.message ?? 'An unexpected error occurred.',
    ...(known instanceof ValidationError ? { errors: known.errors } : {}),
    requestId: context.awsRequestId,
  };
  return {
    statusCode: status,
    headers: { 'Content-Type': 'application/problem+json', ...known?.headers },
    body: JSON.stringify(body),
  };
}

/** The imsx code minor of each status a OneRoster route answers with (1EdTech `imsx_CodeMinorFieldDType`). */
const CODE_MINOR: Record<number, OneRosterCodeMinor> = { 403: 'forbidden', 404: 'unknownobject', 429: 'server_busy', 503: 'server_busy' };

/**
 * Renders an error of a OneRoster route as the 1EdTech status payload (docs/oneroster.md#errors), with the
 * status and headers problem+json would carry. The 401 stays API Gateway's own, which is what a deployed
 * caller receives (the gateway answers it before any function runs, and an HTTP API cannot change it).
 */
function imsxResponse(error: unknown): HttpResult {
  if (error instanceof UnauthorizedError) return gatewayUnauthorized(error);
  const known = error instanceof HttpError && error.expose ? error : undefined;
  const status = known?.statusCode ?? 500;
  let body = statusInfo('internal_server_error', 'An unexpected error occurred.');
  if (known instanceof OneRosterQueryError) body = known.toStatusInfo();
  else if (known instanceof ValidationError) body = statusInfo('invaliddata', [known.message, ...known.errors.map((e) => `${e.path}: ${e.message}`)].join(' '));
  else if (known) body = statusInfo(CODE_MINOR[status] ?? 'invaliddata', known.message);
  return { statusCode: status, headers: { 'Content-Type': 'application/json', ...known?.headers }, body: JSON.stringify(body) };
}

/**
 * The last word on every error: placed first in the stack so that its onError runs after every other
 * middleware's (middy runs onError in reverse order).
 */
export function problemErrorHandler(): MiddlewareObj<HttpEvent, HttpResult> {
  return {
    onError: (request) => {
      const mapped = toHttpError(request.error, 'record');
      if (!(mapped instanceof HttpError && mapped.expose)) {
        // The logger keeps what an operator needs of the error and nothing a caller sent (describeError).
        logger.error('request failed', { error: request.error });
      } else if (mapped.statusCode === 503) {
        logger.warn('database unavailable', { error: request.error });
      }
      const imsx = routeOf(request.event.routeKey)?.errorFormat === 'imsx';
      request.response = imsx ? imsxResponse(mapped) : problemResponse(mapped, request.context);
    },
  };
}

