import type { HttpResult } from './types';

const JSON_HEADERS = { 'Content-Type': 'application/json' };

/** A 200; `headers` adds e.g. the record's ETag. */
export function ok(body: unknown, headers: Record<string, string> = {}): HttpResult {
  return { statusCode: 200, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

export function created(location: string, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return { statusCode: 201, headers: { ...JSON_HEADERS, Location: location, ...headers }, body: JSON.stringify(body) };
}

export function noContent(): HttpResult {
  return { statusCode: 204 };
}
