import type { MiddlewareObj } from '@middy/core';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../errors';
import type { HttpEvent, HttpResult } from './types';

/** SPEC §4.1: bodies over 64 KiB are refused before they are parsed. */
export const MAX_BODY_BYTES = 64 * 1024;

function isJsonMediaType(contentType: string): boolean {
  const mediaType = contentType.split(';', 1)[0].trim().toLowerCase();
  return mediaType === 'application/json' || /^application\/[\w.+-]+\+json$/.test(mediaType);
}

/**
 * Replaces a non-empty `event.body` (of any method but GET) by its parsed JSON value. A declared non-JSON content type is a
 * 415, a body over 64 KiB a 413, malformed JSON a 400; a missing content type is read as JSON.
 */
export function jsonBody(): MiddlewareObj<HttpEvent, HttpResult> {
  return {
    before: ({ event }) => {
      const raw = event.body;
      // A GET's body has no meaning (RFC 9110 §9.3.1): it is ignored, never a reason to refuse.
      if (typeof raw !== 'string' || raw.length === 0 || event.requestContext.http.method === 'GET') {
        event.body = undefined;
        return;
      }
      const contentType = event.headers?.['content-type'];
      if (contentType && !isJsonMediaType(contentType)) throw new UnsupportedMediaTypeError(contentType);
      const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
      if (bytes.length > MAX_BODY_BYTES) throw new PayloadTooLargeError(MAX_BODY_BYTES);
      try {
        event.body = JSON.parse(bytes.toString('utf8'));
      } catch {
        // SPEC §4.1: every 400 names what is wrong; here the whole body, path "".
        throw new ValidationError([{ path: '', message: 'is not valid JSON' }], 'The body is not valid JSON.');
      }
    },
  };
}
