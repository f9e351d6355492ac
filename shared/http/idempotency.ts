import { createHash } from 'node:crypto';
import type { Transaction } from 'sequelize';
import { ValidationError } from '../errors';
import { IdempotencyKey } from '../schemas';
import { runOnce } from '../services/idempotency';
import { callerOf } from './auth';
import type { HttpEvent, HttpResult } from './types';

/** The Idempotency-Key header, unquoted (the IETF draft sends it as a structured-field string). */
function readKey(event: HttpEvent): string | undefined {
  const raw = event.headers?.['idempotency-key'];
  if (raw === undefined) return undefined;
  const key = /^".*"$/.test(raw) ? raw.slice(1, -1) : raw;
  const checked = IdempotencyKey.safeParse(key);
  if (!checked.success) {
    throw new ValidationError([{ path: 'Idempotency-Key', message: checked.error.issues[0].message }], 'The Idempotency-Key header is not valid.');
  }
  return key;
}

/** JSON with object keys sorted, so that the same body hashes the same whatever its key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Keys belong to a route and a caller: two clients that happen to pick the same key make two requests.
 * The caller is its token's issuer and subject, hashed to fit the column ("POST /schools" and 32 hex
 * digits); a token without a subject shares the route's keys with other such tokens.
 */
function keyScope(event: HttpEvent): string {
  const subject = callerOf(event)?.subject;
  return subject === undefined ? event.routeKey : `${event.routeKey} ${createHash('sha256').update(subject).digest('hex').slice(0, 32)}`;
}

/**
 * Runs a creating route once per Idempotency-Key: a retry with the same key and body gets the first
 * response again (marked `Idempotent-Replayed: true`), the same key with another body a 422. Without the
 * header the route simply runs, with no transaction.
 */
export async function idempotent(event: HttpEvent, create: (transaction?: Transaction) => Promise<HttpResult>): Promise<HttpResult> {
  const key = readKey(event);
  if (key === undefined) return create();
  const requestHash = createHash('sha256').update(canonicalJson(event.body)).digest('hex');
  const { response, replayed } = await runOnce({ scope: keyScope(event), key, requestHash }, async (transaction) => {
    const result = await create(transaction);
    return { statusCode: result.statusCode ?? 200, headers: (result.headers ?? {}) as Record<string, string>, body: result.body ?? '' };
  });
  return replayed ? { ...response, headers: { ...response.headers, 'Idempotent-Replayed': 'true' } } : response;
}
