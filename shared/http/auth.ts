import type { MiddlewareObj } from '@middy/core';
import { config } from '../config';
import { ForbiddenError, UnauthorizedError } from '../errors';
import { routeOf, scopeOf } from './routes';
import type { HttpEvent, HttpResult } from './types';

export type Claims = Record<string, unknown>;

/** The caller as the verified claims describe it. `schools` is undefined when the token is not school-limited. */
export interface Caller {
  scopes: ReadonlySet<string>;
  schools?: ReadonlySet<string>;
  /** Who the token speaks for, issuer and subject (`iss sub`); undefined when the token names no subject. */
  subject?: string;
}

/** The caller each request was authorized as, for the handler (see `callerOf`). */
const callers = new WeakMap<HttpEvent, Caller>();

/** The caller `authorize()` admitted this request as. */
export const callerOf = (event: HttpEvent): Caller | undefined => callers.get(event);

/**
 * A list-valued claim in any of the shapes it reaches us in: a JSON array (local tokens), a
 * space-separated string (OAuth `scope`), or a string API Gateway flattened an array into ("[a b]",
 * "a,b" or '["a","b"]'). Anything else reads as an empty list, so a malformed claim grants nothing.
 */
export function claimList(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string' && item.length > 0);
  if (typeof value !== 'string') return [];
  const text = value.trim();
  if (text.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed)) return claimList(parsed);
    } catch {
      // Not JSON: API Gateway's "[a b]" form, read below.
    }
  }
  return text
    .replace(/^\[|\]$/g, '')
    .split(/[\s,]+/)
    .map((item) => item.replace(/^"|"$/g, ''))
    .filter(Boolean);
}

export function callerFromClaims(claims: Claims): Caller {
  const scopes = new Set([...claimList(claims.scope), ...claimList(claims.scp)]);
  // School ids are UUIDs: compared in lower case, as the path's ids are.
  const schools = 'schools' in claims ? new Set(claimList(claims.schools).map((id) => id.toLowerCase())) : undefined;
  const subject = typeof claims.sub === 'string' && claims.sub ? `${typeof claims.iss === 'string' ? claims.iss : ''} ${claims.sub}` : undefined;
  return { scopes, schools, subject };
}

/** Deployed: the claims API Gateway's JWT authorizer verified and put on the event. */
function gatewayClaims(event: HttpEvent): Claims | undefined {
  const authorizer = (event.requestContext as { authorizer?: { jwt?: { claims?: unknown } } }).authorizer;
  const claims = authorizer?.jwt?.claims;
  return claims && typeof claims === 'object' ? (claims as Claims) : undefined;
}

/**
 * docs/api.md#authentication, in the service: the route's scope (shared/http/routes.ts; `roster/erase` for
 * an erasure, docs/lifecycle.md), then the `schools` claim. Runs
 * before the body is parsed, so an unauthenticated caller learns nothing about its input. Deployed, API
 * Gateway's authorizer has already refused a missing or bad token with its own 401; locally the token
 * check here answers the very same 401 (docs/decisions/0001-authentication-at-the-gateway.md). Every 403
 * is decided here, on one code path, as problem+json.
 */
export function authorize(): MiddlewareObj<HttpEvent, HttpResult> {
  return {
    before: async ({ event }) => {
      const localJwk = config.auth.localPublicJwk;
      // The local verifier (and jose) load only where the development key is configured.
      const claims = localJwk ? await (await import('./local-auth.js')).locallyVerifiedClaims(event, localJwk) : gatewayClaims(event);
      if (!claims) throw new UnauthorizedError();
      const caller = callerFromClaims(claims);
      callers.set(event, caller);
      const access = routeOf(event.routeKey);
      if (!access) throw new ForbiddenError('This route is not open to any caller.');
      const scope = scopeOf(access, event.queryStringParameters);
      if (!caller.scopes.has(scope)) {
        throw new ForbiddenError(`This ${scope === access.scope ? 'route' : 'request'} requires the scope ${scope}.`, { missingScope: scope });
      }
      if (!caller.schools) return;
      if (access.reach === 'district') throw new ForbiddenError('A token limited to some schools may not use this route.');
      const schoolId = event.pathParameters?.schoolId?.toLowerCase();
      if (!schoolId || !caller.schools.has(schoolId)) throw new ForbiddenError('This token may not act on this school.');
    },
  };
}
