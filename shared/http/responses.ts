import type { HttpResult } from './types';

const JSON_HEADERS = { 'Content-Type': 'application/json' };

export function ok(body: unknown): HttpResult {
  return { statusCode: 200, headers: JSON_HEADERS, body: JSON.stringify(body) };
}

export function created(location: string, body: unknown): HttpResult {
  return { statusCode: 201, headers: { ...JSON_HEADERS, Location: location }, body: JSON.stringify(body) };
}

export function noContent(): HttpResult {
  return { statusCode: 204 };
}
