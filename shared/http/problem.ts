import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { toHttpError } from '../db/errors';
import { HttpError, ValidationError } from '../errors';
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
        console.error(JSON.stringify({ level: 'ERROR', message: 'request failed', requestId: request.context.awsRequestId, error: describe(request.error) }));
      }
      request.response = problemResponse(mapped, request.context);
    },
  };
}

function describe(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { value: String(error) };
  const code = (error as { code?: unknown; parent?: { code?: unknown } }).parent?.code ?? (error as { code?: unknown }).code;
  return { name: error.name, message: error.message, code };
}
