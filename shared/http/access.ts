/** OAuth scopes of SPEC §7: reading needs `roster/read`, every change `roster/write`. */
export const READ_SCOPE = 'roster/read';
export const WRITE_SCOPE = 'roster/write';
type Scope = typeof READ_SCOPE | typeof WRITE_SCOPE;

/** Issuer and audience of the development tokens that scripts/dev-auth.ts mints for the local API. */
export const LOCAL_ISSUER = 'school-roster-local';
export const LOCAL_AUDIENCE = 'school-roster';

/**
 * What a token limited by a `schools` claim may reach on a route:
 * - `school`: the route acts on the school named by its `{schoolId}` path parameter, which must be one
 *   of the token's schools;
 * - `district`: the route reaches records of every school (all users, all schools, a user's memberships
 *   everywhere, creating records that belong to no school yet), so a school-limited token is refused.
 * A token without a `schools` claim reaches every route its scopes allow.
 */
type Reach = 'school' | 'district';

export interface RouteAccess {
  scope: Scope;
  reach: Reach;
}

/**
 * Every HTTP route of SPEC §4 and who may call it. A route missing here is refused (403) whatever the
 * token: a new route is closed until it is listed (tests check serverless.yml against this table).
 */
export const ROUTE_ACCESS: Readonly<Record<string, RouteAccess>> = Object.freeze({
  'POST /users': { scope: WRITE_SCOPE, reach: 'district' },
  'POST /schools': { scope: WRITE_SCOPE, reach: 'district' },
  'PUT /schools/{schoolId}/users/{userId}': { scope: WRITE_SCOPE, reach: 'school' },
  'DELETE /schools/{schoolId}/users/{userId}': { scope: WRITE_SCOPE, reach: 'school' },
  'GET /users': { scope: READ_SCOPE, reach: 'district' },
  'GET /schools': { scope: READ_SCOPE, reach: 'district' },
  'GET /users/{userId}': { scope: READ_SCOPE, reach: 'district' },
  'GET /schools/{schoolId}': { scope: READ_SCOPE, reach: 'school' },
  'GET /users/{userId}/schools': { scope: READ_SCOPE, reach: 'district' },
  'GET /schools/{schoolId}/users': { scope: READ_SCOPE, reach: 'school' },
});
