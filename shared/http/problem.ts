import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { toHttpError } from '../db/errors';
import { HttpError, UnauthorizedError, ValidationError } from '../errors';
import { logger, scrub } from '../logger';
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

/**
 * The last word on every error: placed first in the stack so that its onError runs after every other
 * middleware's (middy runs onError in reverse order).
 */
export function problemErrorHandler(): MiddlewareObj<HttpEvent, HttpResult> {
  return {
    onError: (request) => {
      const mapped = toHttpError(request.error, 'record');
      if (!(mapped instanceof HttpError && mapped.expose)) {
        logger.error('request failed', { error: describe(request.error) });
      } else if (mapped.statusCode === 503) {
        logger.warn('database unavailable', { error: describe(request.error) });
      }
      request.response = problemResponse(mapped, request.context);
    },
  };
}

/**
 * What an operator needs of an unexpected error, and nothing a caller sent: a database error's message
 * can quote the offending value (`invalid input syntax ...: "ada@example.org"`), its `sql` the bound
 * values, so only its class, SQLSTATE and constraint are kept; other messages lose any email or token.
 */
function describe(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error };
  const parent = (error as { parent?: { code?: unknown; constraint?: unknown; table?: unknown } }).parent;
  const code = parent?.code ?? (error as { code?: unknown }).code;
  const frames = error.stack?.split('\n').filter((line) => line.trimStart().startsWith('at ')).slice(0, 10);
  if (parent) return { type: error.name, code, constraint: parent.constraint, table: parent.table, stack: frames };
  return { type: error.name, code, message: scrub(error.message), stack: frames };
}
