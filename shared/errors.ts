export interface FieldError {
  path: string;
  message: string;
}

/** Base of every error a caller may see; `expose` is false for anything the caller must not read. */
export class HttpError extends Error {
  // Spelled out, as in every subclass: the bundles are minified, so a class's own name is not kept.
  override readonly name: string = 'HttpError';
  readonly expose: boolean;
  readonly headers: Record<string, string> = {};

  constructor(
    readonly statusCode: number,
    readonly title: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.expose = statusCode < 500 || statusCode === 503;
  }
}

export class ValidationError extends HttpError {
  override readonly name = 'ValidationError';
  constructor(
    readonly errors: FieldError[],
    message = 'The request is not valid.',
  ) {
    super(400, 'Bad Request', message);
  }
}

export class NotFoundError extends HttpError {
  override readonly name = 'NotFoundError';
  constructor(message: string) {
    super(404, 'Not Found', message);
  }
}

export class ConflictError extends HttpError {
  override readonly name = 'ConflictError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(409, 'Conflict', message, options);
  }
}

/** `If-Match` named no current version of the record: it changed (or went) since the client read it. */
export class PreconditionFailedError extends HttpError {
  override readonly name = 'PreconditionFailedError';
  constructor(message: string) {
    super(412, 'Precondition Failed', message);
  }
}

/** What the caller asks for existed and was removed for good: a change-feed cursor older than retention. */
export class GoneError extends HttpError {
  override readonly name = 'GoneError';
  constructor(message: string) {
    super(410, 'Gone', message);
  }
}

export class PayloadTooLargeError extends HttpError {
  override readonly name = 'PayloadTooLargeError';
  constructor(limitBytes: number) {
    super(413, 'Content Too Large', `The body must not exceed ${limitBytes} bytes.`);
  }
}

export class UnsupportedMediaTypeError extends HttpError {
  override readonly name = 'UnsupportedMediaTypeError';
  constructor(contentType: string) {
    super(415, 'Unsupported Media Type', `Content-Type ${contentType} is not supported; send application/json.`);
  }
}

export class ServiceUnavailableError extends HttpError {
  override readonly name = 'ServiceUnavailableError';
  constructor(retryAfterSeconds: number, options?: { cause?: unknown }) {
    super(503, 'Service Unavailable', 'The database is unavailable; retry later.', options);
    this.headers['Retry-After'] = String(retryAfterSeconds);
  }
}

/**
 * No verified identity reached the service. Rendered as API Gateway's JWT authorizer answers it
 * (shared/http/problem.ts), so that the local API and the deployed one agree.
 */
export class UnauthorizedError extends HttpError {
  override readonly name = 'UnauthorizedError';
  constructor() {
    super(401, 'Unauthorized', 'Unauthorized');
    this.headers['WWW-Authenticate'] = 'Bearer scope="" error="invalid_token" error_description="the token is missing or not valid"';
  }
}

/** A verified identity that may not do this: a missing scope, or a school outside its `schools` claim. */
export class ForbiddenError extends HttpError {
  override readonly name = 'ForbiddenError';
  constructor(message: string, options?: { missingScope?: string }) {
    super(403, 'Forbidden', message);
    if (options?.missingScope) {
      this.headers['WWW-Authenticate'] = `Bearer realm="school-roster", error="insufficient_scope", scope="${options.missingScope}"`;
    }
  }
}

/** The invocation ran out of time (middy's early timeout): a 503 the caller may retry, not a Lambda timeout. */
export class DeadlineExceededError extends HttpError {
  override readonly name = 'DeadlineExceededError';
  constructor(retryAfterSeconds = 1) {
    super(503, 'Service Unavailable', 'The request could not finish in time; retry later.');
    this.headers['Retry-After'] = String(retryAfterSeconds);
  }
}

/** An Idempotency-Key seen before with another request body (draft-ietf-httpapi-idempotency-key-header). */
export class IdempotencyKeyReusedError extends HttpError {
  override readonly name = 'IdempotencyKeyReusedError';
  constructor() {
    super(422, 'Unprocessable Content', 'This Idempotency-Key was already used with another request body.');
  }
}
