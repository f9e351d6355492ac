import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { toHttpError } from '../db/errors';
import { HttpError, ValidationError } from '../errors';
import { logger } from '../logger';
import type { HttpEvent, HttpResult } from './types';

/** Renders an error as RFC 9457 problem+json; anything not meant for the caller becomes a bare 500. */
export function problemResponse(error: unknown, context: Pick<Context, 'awsRequestId'>): HttpResult {
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
        // The logger keeps what an operator needs of the error and nothing a caller sent (describeError).
        logger.error('request failed', { error: request.error });
      } else if (mapped.statusCode === 503) {
        logger.warn('database unavailable', { error: request.error });
      }
      request.response = problemResponse(mapped, request.context);
    },
  };
}

