import type { MiddlewareObj } from '@middy/core';
import { config } from '../config';
import { ForbiddenError, UnauthorizedError } from '../errors';
import { districtOfSchool } from '../services/schools';
import { routeOf, scopeOf, scopesAdmit, type Reach } from './routes';
import type { HttpEvent, HttpResult } from './types';

export type Claims = Record<string, unknown>;

/**
 * The caller as the verified claims describe it. `schools` is undefined when the token is not
 * school-limited, `districts` when it is not district-limited.
 */
export interface Caller {
  scopes: ReadonlySet<string>;
  schools?: ReadonlySet<string>;
  districts?: ReadonlySet<string>;
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
  // School and district ids are UUIDs: compared in lower case, as the path's ids are.
  const idSet = (claim: string) => (claim in claims ? new Set(claimList(claims[claim]).map((id) => id.toLowerCase())) : undefined);
  const subject = typeof claims.sub === 'string' && claims.sub ? `${typeof claims.iss === 'string' ? claims.iss : ''} ${claims.sub}` : undefined;
  return { scopes, schools: idSet('schools'), districts: idSet('districts'), subject };
}

/** Deployed: the claims API Gateway's JWT authorizer verified and put on the event. */
function gatewayClaims(event: HttpEvent): Claims | undefined {
  const authorizer = (event.requestContext as { authorizer?: { jwt?: { claims?: unknown } } }).authorizer;
  const claims = authorizer?.jwt?.claims;
  return claims && typeof claims === 'object' ? (claims as Claims) : undefined;
}

/** The `schools` claim on a route of reach `reach` (shared/http/routes.ts). */
function checkSchoolsClaim(schools: ReadonlySet<string>, reach: Reach, event: HttpEvent): void {
  // A `served` route answers with what the claim reaches (shared/oneroster/rostering.ts).
  if (reach === 'served') return;
  if (reach !== 'school') throw new ForbiddenError('A token limited to some schools may not use this route.');
  const schoolId = event.pathParameters?.schoolId?.toLowerCase();
  if (!schoolId || !schools.has(schoolId)) throw new ForbiddenError('This token may not act on this school.');
}

/**
 * The `districts` claim on a route of reach `reach`, as far as the request tells: a school's district
 * is the database's to say (`authorizeSchoolDistrict`, once a connection may be taken).
 */
function checkDistrictsClaim(districts: ReadonlySet<string>, reach: Reach, event: HttpEvent): void {
  if (reach === 'served') return;
  if (reach === 'all') throw new ForbiddenError('A token limited to some districts may not use this route.');
  if (reach === 'district') {
    const districtId = event.pathParameters?.districtId?.toLowerCase();
    if (!districtId || !districts.has(districtId)) throw new ForbiddenError('This token may not act on this district.');
  }
  if (reach === 'filtered') {
    const districtId = event.queryStringParameters?.districtId?.toLowerCase();
    if (!districtId || !districts.has(districtId)) throw new ForbiddenError('A token limited to some districts must name one of them in ?districtId=.');
  }
}

/**
 * docs/api.md#authentication, in the service: the route's scope (shared/http/routes.ts; `roster/erase` for
 * an erasure, docs/lifecycle.md), then the `schools` and `districts` claims. Runs
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
      if (!scopesAdmit(access, event.queryStringParameters, caller.scopes)) {
        const scope = scopeOf(access, event.queryStringParameters);
        const named = scope === access.scope && access.alternativeScope ? `${scope} or ${access.alternativeScope}` : scope;
        throw new ForbiddenError(`This ${scope === access.scope ? 'route' : 'request'} requires the scope ${named}.`, { missingScope: scope });
      }
      if (caller.schools) checkSchoolsClaim(caller.schools, access.reach, event);
      if (caller.districts) checkDistrictsClaim(caller.districts, access.reach, event);
    },
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The `districts` claim on a route that names a school: the school must belong to one of the token's
 * districts. Runs after the database lifecycle, as it reads the school's district; a school that does
 * not exist is answered as one outside the claim (403), so that the token learns nothing of others'
 * schools. A path id that is no UUID names no school: the route's own validation answers it (400).
 */
export function authorizeSchoolDistrict(): MiddlewareObj<HttpEvent, HttpResult> {
  return {
    before: async ({ event }) => {
      const districts = callers.get(event)?.districts;
      const schoolId = event.pathParameters?.schoolId;
      if (!districts || routeOf(event.routeKey)?.reach !== 'school' || !schoolId || !UUID.test(schoolId)) return;
      const districtId = await districtOfSchool(schoolId);
      if (!districtId || !districts.has(districtId.toLowerCase())) throw new ForbiddenError('This token may not act on this school.');
    },
  };
}
