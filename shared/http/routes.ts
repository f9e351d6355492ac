import type * as z from 'zod';
import {
  ChangePageSchema,
  ChangesQuery,
  ConditionalHeaders,
  CreateDistrictBody,
  CreateSchoolBody,
  CreateWebhookBody,
  CreatedWebhookSchema,
  CreateUserBody,
  DeleteQuery,
  DistrictListQuery,
  DistrictPath,
  DistrictSchema,
  IdempotencyHeaders,
  LinkBody,
  MemberListQuery,
  MemberSchema,
  MembershipPath,
  MembershipSchema,
  PatchDistrictBody,
  SchoolListQuery,
  SchoolOfUserSchema,
  SchoolPatchBody,
  SchoolPath,
  SchoolSchema,
  SchoolsQuery,
  SyncRunDetailSchema,
  SyncRunListQuery,
  SyncRunPath,
  SyncRunSchema,
  UserListQuery,
  UserPatchBody,
  UserPath,
  UserSchema,
  WebhookListQuery,
  WebhookPath,
  WebhookSchema,
  pageOf,
} from '../schemas';
import {
  OneRosterCollectionQuery,
  OneRosterOrgSet,
  OneRosterPath,
  OneRosterRecordQuery,
  OneRosterSingleOrg,
  OneRosterSingleUser,
  OneRosterUserSet,
} from '../oneroster/schemas';

/**
 * OAuth scopes (docs/api.md#authentication): reading needs `roster/read`, every change `roster/write`,
 * erasure `roster/erase` (docs/lifecycle.md), and the districts, their sync runs and the webhooks
 * `roster/admin`; no scope implies another.
 */
export const READ_SCOPE = 'roster/read';
export const WRITE_SCOPE = 'roster/write';
export const ERASE_SCOPE = 'roster/erase';
export const ADMIN_SCOPE = 'roster/admin';
/** The OneRoster read endpoints take OneRoster 1.2's own scopes, either of these two (docs/oneroster.md#who-sees-what). */
export const ONEROSTER_CORE_SCOPE = 'https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly';
export const ONEROSTER_SCOPE = 'https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly';
type Scope = typeof READ_SCOPE | typeof WRITE_SCOPE | typeof ERASE_SCOPE | typeof ADMIN_SCOPE | typeof ONEROSTER_CORE_SCOPE | typeof ONEROSTER_SCOPE;

/**
 * What a token limited by a `schools` claim (school ids) or a `districts` claim (district ids) may reach
 * on a route (docs/api.md#authentication); a token with neither reaches every route its scopes allow:
 * - `school`: the route acts on the school named by its `{schoolId}` path parameter, which must be one
 *   of the token's schools, or belong to one of its districts;
 * - `district`: the route acts on the district named by its `{districtId}` path parameter, which must
 *   be one of the token's districts; a school-limited token is refused;
 * - `filtered`: a list that `?districtId=` narrows to one district: a district-limited token must name
 *   one of its districts there; a school-limited token is refused;
 * - `all`: the route reaches records of every school and district (all users, a user's memberships
 *   everywhere, creating records that belong to no school yet, every district), so a limited token is
 *   refused;
 * - `served`: the OneRoster routes (docs/oneroster.md#who-sees-what): any token is admitted and the
 *   answer holds only what its claims reach; a record outside them is unknown (404).
 */
export type Reach = 'school' | 'district' | 'filtered' | 'all' | 'served';

/** The Lambda functions of serverless.yml that serve HTTP routes. */
export type FunctionName = 'create-user' | 'create-school' | 'link' | 'list' | 'change' | 'districts' | 'changes' | 'webhooks' | 'oneroster';

/** A success answer: its description, its body and whether it carries `Location`. */
interface Success {
  description: string;
  body?: z.ZodType;
  location?: boolean;
  /** A creating route run once per Idempotency-Key: a replay carries `Idempotent-Replayed: true`. */
  replayable?: boolean;
  /** The answer carries one record and its `ETag` (docs/lifecycle.md). */
  etag?: boolean;
  /** A OneRoster page: the answer carries `X-Total-Count` and `Link` (docs/oneroster.md). */
  paged?: boolean;
}

export interface Route {
  /** The function serverless.yml routes it to (tests/openapi checks serverless.yml against this table). */
  function: FunctionName;
  scope: Scope;
  /** Another scope that admits the caller as well as `scope` does (the OneRoster routes take either of two). */
  alternativeScope?: Scope;
  /** The scope `?erase=true` needs instead of `scope` (docs/lifecycle.md): erasing is not a plain change. */
  eraseScope?: Scope;
  reach: Reach;
  /**
   * How the function writes its errors: RFC 9457 problem+json (docs/api.md#errors), or on the OneRoster
   * routes the 1EdTech status payload, `imsx` (docs/oneroster.md#errors).
   */
  errorFormat: 'problem+json' | 'imsx';
  /** What the function validates: path parameters, query string, body (required unless said), headers. */
  request: { params?: z.ZodType; query?: z.ZodType; body?: z.ZodType; bodyOptional?: boolean; headers?: z.ZodType; mergePatch?: boolean };
  /** The OpenAPI operation: id, summary, its successes and the errors of its own (the common ones are added). */
  operationId: string;
  summary: string;
  description?: string;
  success: Partial<Record<200 | 201 | 204, Success>>;
  errors?: Partial<Record<404 | 409 | 410 | 412 | 422, string>>;
}

/** What every OneRoster route shares (docs/oneroster.md). */
const ONEROSTER_ROUTE = {
  function: 'oneroster',
  scope: ONEROSTER_CORE_SCOPE,
  alternativeScope: ONEROSTER_SCOPE,
  reach: 'served',
  errorFormat: 'imsx',
} as const;

/**
 * Every HTTP route (docs/api.md#routes), once: the functions' dispatch (shared/http/router.ts), the access rules
 * (shared/http/auth.ts), the OpenAPI paths (scripts/openapi-document.ts) and the tests' route matrix
 * (tests/support/routes.ts) are read from it, and serverless.yml's httpApi events are checked against it.
 * A route missing here is refused (403) whatever the token. Plain data: no handler code, so a function's
 * bundle holds only its own handlers.
 */
export const ROUTES = {
  'POST /users': {
    function: 'create-user',
    scope: WRITE_SCOPE,
    reach: 'all',
    errorFormat: 'problem+json',
    request: { body: CreateUserBody, headers: IdempotencyHeaders },
    operationId: 'createUser',
    summary: 'Create a user',
    success: { 201: { description: 'The user created.', body: UserSchema, location: true, replayable: true, etag: true } },
    errors: {
      409: 'The email (case-insensitively) or userName is already taken by a live record.',
      422: 'The Idempotency-Key was already used with another body.',
    },
  },
  'POST /schools': {
    function: 'create-school',
    scope: WRITE_SCOPE,
    reach: 'all',
    errorFormat: 'problem+json',
    request: { body: CreateSchoolBody, headers: IdempotencyHeaders },
    operationId: 'createSchool',
    summary: 'Create a school',
    success: { 201: { description: 'The school created.', body: SchoolSchema, location: true, replayable: true, etag: true } },
    errors: { 409: 'The code is already taken by a live record.', 422: 'The Idempotency-Key was already used with another body.' },
  },
  'PUT /schools/{schoolId}/users/{userId}': {
    function: 'link',
    scope: WRITE_SCOPE,
    reach: 'school',
    errorFormat: 'problem+json',
    request: { params: MembershipPath, body: LinkBody, bodyOptional: true },
    operationId: 'linkUserToSchool',
    summary: 'Make a user a member of a school, or change the role of a membership',
    description: "No body links with the default role (`teacher`), or keeps an existing membership's role.",
    success: {
      200: { description: 'The membership existed; its role is updated if the body names another.', body: MembershipSchema },
      201: { description: 'The membership created.', body: MembershipSchema, location: true },
    },
    errors: { 404: 'No such user or school (a deleted record counts as missing).' },
  },
  'DELETE /schools/{schoolId}/users/{userId}': {
    function: 'link',
    scope: WRITE_SCOPE,
    reach: 'school',
    errorFormat: 'problem+json',
    request: { params: MembershipPath },
    operationId: 'unlinkUserFromSchool',
    summary: 'End a membership',
    success: { 204: { description: 'The membership is gone.' } },
    errors: { 404: 'No such user, school or membership.' },
  },
  'GET /users': {
    function: 'list',
    scope: READ_SCOPE,
    reach: 'filtered',
    errorFormat: 'problem+json',
    request: { query: UserListQuery },
    operationId: 'listUsers',
    summary: 'List users by lastName, firstName, userId',
    success: { 200: { description: 'A page of users.', body: pageOf(UserSchema) } },
  },
  'GET /schools': {
    function: 'list',
    scope: READ_SCOPE,
    reach: 'filtered',
    errorFormat: 'problem+json',
    request: { query: SchoolsQuery },
    operationId: 'listSchools',
    summary: 'List schools by name, schoolId',
    success: { 200: { description: 'A page of schools.', body: pageOf(SchoolSchema) } },
  },
  'GET /users/{userId}': {
    function: 'list',
    scope: READ_SCOPE,
    reach: 'all',
    errorFormat: 'problem+json',
    request: { params: UserPath },
    operationId: 'getUser',
    summary: 'Get a user',
    success: { 200: { description: 'The user.', body: UserSchema, etag: true } },
    errors: { 404: 'No such user (a deleted record counts as missing).' },
  },
  'GET /schools/{schoolId}': {
    function: 'list',
    scope: READ_SCOPE,
    reach: 'school',
    errorFormat: 'problem+json',
    request: { params: SchoolPath },
    operationId: 'getSchool',
    summary: 'Get a school',
    success: { 200: { description: 'The school.', body: SchoolSchema, etag: true } },
    errors: { 404: 'No such school (a deleted record counts as missing).' },
  },
  'GET /users/{userId}/schools': {
    function: 'list',
    scope: READ_SCOPE,
    reach: 'all',
    errorFormat: 'problem+json',
    request: { params: UserPath, query: SchoolListQuery },
    operationId: 'listSchoolsOfUser',
    summary: "List a user's schools, each with the membership",
    success: { 200: { description: 'A page of schools.', body: pageOf(SchoolOfUserSchema) } },
    errors: { 404: 'No such user (a deleted record counts as missing).' },
  },
  'GET /schools/{schoolId}/users': {
    function: 'list',
    scope: READ_SCOPE,
    reach: 'school',
    errorFormat: 'problem+json',
    request: { params: SchoolPath, query: MemberListQuery },
    operationId: 'listSchoolMembers',
    summary: "List a school's members, each with the membership",
    success: { 200: { description: 'A page of users.', body: pageOf(MemberSchema) } },
    errors: { 404: 'No such school (a deleted record counts as missing).' },
  },
  'PATCH /users/{userId}': {
    function: 'change',
    scope: WRITE_SCOPE,
    reach: 'all',
    errorFormat: 'problem+json',
    request: { params: UserPath, body: UserPatchBody, headers: ConditionalHeaders, mergePatch: true },
    operationId: 'patchUser',
    summary: 'Correct a user (JSON Merge Patch)',
    description: 'An absent field is kept, `null` clears an optional one. A patch that changes nothing answers the user as it was.',
    success: { 200: { description: 'The user as it now is.', body: UserSchema, etag: true } },
    errors: {
      404: 'No such user (a deleted record counts as missing).',
      409: 'The email (case-insensitively) or userName is taken by another live user, or the roster manages the user and supplies the field.',
      412: '`If-Match` names no current version of the user: nothing changed.',
    },
  },
  'PATCH /schools/{schoolId}': {
    function: 'change',
    scope: WRITE_SCOPE,
    reach: 'all',
    errorFormat: 'problem+json',
    request: { params: SchoolPath, body: SchoolPatchBody, headers: ConditionalHeaders, mergePatch: true },
    operationId: 'patchSchool',
    summary: 'Correct a school (JSON Merge Patch)',
    description: 'An absent field is kept, `null` clears an optional one. A patch that changes nothing answers the school as it was.',
    success: { 200: { description: 'The school as it now is.', body: SchoolSchema, etag: true } },
    errors: {
      404: 'No such school (a deleted record counts as missing).',
      409: 'The code is taken by another live school, or the roster manages the school and supplies the field.',
      412: '`If-Match` names no current version of the school: nothing changed.',
    },
  },
  'DELETE /users/{userId}': {
    function: 'change',
    scope: WRITE_SCOPE,
    eraseScope: ERASE_SCOPE,
    reach: 'all',
    errorFormat: 'problem+json',
    request: { params: UserPath, query: DeleteQuery, headers: ConditionalHeaders },
    operationId: 'deleteUser',
    summary: 'Remove a user, or erase them (`?erase=true`)',
    description:
      'Removes the user and all their memberships; the user is kept soft-deleted for the retention period, then erased. ' +
      '`?erase=true` (scope `roster/erase`) erases them at once, whatever their state: the record, their memberships and every copy of their data.',
    success: { 204: { description: 'The user is gone (or erased).' } },
    errors: {
      404: 'No such user (a removed user counts as missing, except to erasure; an erased one always).',
      409: 'The roster manages the user: remove them from the roster, or erase them.',
      412: '`If-Match` names no current version of the user: nothing changed.',
    },
  },
  'DELETE /schools/{schoolId}': {
    function: 'change',
    scope: WRITE_SCOPE,
    eraseScope: ERASE_SCOPE,
    reach: 'all',
    errorFormat: 'problem+json',
    request: { params: SchoolPath, query: DeleteQuery, headers: ConditionalHeaders },
    operationId: 'deleteSchool',
    summary: 'Remove a school, or erase it (`?erase=true`)',
    description:
      'Removes the school and all its memberships; the school is kept soft-deleted for the retention period, then erased. ' +
      '`?erase=true` (scope `roster/erase`) erases it at once, whatever its state.',
    success: { 204: { description: 'The school is gone (or erased).' } },
    errors: {
      404: 'No such school (a removed school counts as missing, except to erasure; an erased one always).',
      409: 'The roster manages the school: remove it from the roster, or erase it.',
      412: '`If-Match` names no current version of the school: nothing changed.',
    },
    },
  'GET /changes': {
    function: 'changes',
    scope: READ_SCOPE,
    reach: 'all',
    errorFormat: 'problem+json',
    request: { query: ChangesQuery },
    operationId: 'listChanges',
    summary: 'Follow every change: the change feed, oldest first',
    description:
      'Every committed change to a user, school or membership, from any path, exactly once and in commit order. ' +
      'Start without `after` (the oldest event kept), then pass each `nextCursor` back as `after`; an empty page keeps the cursor where it is.',
    success: { 200: { description: 'A page of change events.', body: ChangePageSchema } },
    errors: { 410: 'The cursor is older than the events kept (CHANGES_RETENTION_DAYS): walk the lists again.' },
  },
  'POST /webhooks': {
    function: 'webhooks',
    scope: ADMIN_SCOPE,
    reach: 'all',
    errorFormat: 'problem+json',
    request: { body: CreateWebhookBody },
    operationId: 'createWebhook',
    summary: 'Subscribe a receiver to the change feed',
    description:
      'Deliveries follow the Standard Webhooks specification (`webhook-id`, `webhook-timestamp`, `webhook-signature`), one event per request, ' +
      'in feed order, at least once, from the next change on. Deployed, the URL must be https to a public address.',
    success: { 201: { description: 'The subscription, with its signing secret (shown only here).', body: CreatedWebhookSchema, location: true } },
  },
  'GET /webhooks': {
    function: 'webhooks',
    scope: ADMIN_SCOPE,
    reach: 'all',
    errorFormat: 'problem+json',
    request: { query: WebhookListQuery },
    operationId: 'listWebhooks',
    summary: 'List webhook subscriptions, with their delivery status',
    success: { 200: { description: 'A page of subscriptions.', body: pageOf(WebhookSchema) } },
  },
  'GET /webhooks/{webhookId}': {
    function: 'webhooks',
    scope: ADMIN_SCOPE,
    reach: 'all',
    errorFormat: 'problem+json',
    request: { params: WebhookPath },
    operationId: 'getWebhook',
    summary: 'Get a webhook subscription and its delivery status',
    success: { 200: { description: 'The subscription (never its secret).', body: WebhookSchema } },
    errors: { 404: 'No such subscription.' },
  },
  'DELETE /webhooks/{webhookId}': {
    function: 'webhooks',
    scope: ADMIN_SCOPE,
    reach: 'all',
    errorFormat: 'problem+json',
    request: { params: WebhookPath },
    operationId: 'deleteWebhook',
    summary: 'End a webhook subscription',
    success: { 204: { description: 'The subscription is gone: no delivery starts after this answer.' } },
    errors: { 404: 'No such subscription.' },
  },
  'POST /districts': {
    function: 'districts',
    scope: ADMIN_SCOPE,
    reach: 'all',
    errorFormat: 'problem+json',
    request: { body: CreateDistrictBody },
    operationId: 'createDistrict',
    summary: 'Create a district: a roster source, synced on its own schedule',
    success: { 201: { description: 'The district created.', body: DistrictSchema, location: true } },
  },
  'GET /districts': {
    function: 'districts',
    scope: ADMIN_SCOPE,
    reach: 'all',
    errorFormat: 'problem+json',
    request: { query: DistrictListQuery },
    operationId: 'listDistricts',
    summary: 'List districts by name, districtId',
    success: { 200: { description: 'A page of districts.', body: pageOf(DistrictSchema) } },
  },
  'GET /districts/{districtId}': {
    function: 'districts',
    scope: ADMIN_SCOPE,
    reach: 'district',
    errorFormat: 'problem+json',
    request: { params: DistrictPath },
    operationId: 'getDistrict',
    summary: 'Get a district',
    success: { 200: { description: 'The district.', body: DistrictSchema } },
    errors: { 404: 'No such district.' },
  },
  'PATCH /districts/{districtId}': {
    function: 'districts',
    scope: ADMIN_SCOPE,
    reach: 'district',
    errorFormat: 'problem+json',
    request: { params: DistrictPath, body: PatchDistrictBody, mergePatch: true },
    operationId: 'patchDistrict',
    summary: 'Change a district (JSON Merge Patch)',
    description:
      'A JSON Merge Patch (RFC 7396; `application/merge-patch+json` or `application/json`): `null` clears an optional field. ' +
      'A patch that changes nothing answers the district as it was. A new schedule, source or `enabled` recomputes `nextSyncAt`.',
    success: { 200: { description: 'The district after the patch.', body: DistrictSchema } },
    errors: { 404: 'No such district.' },
  },
  'DELETE /districts/{districtId}': {
    function: 'districts',
    scope: ADMIN_SCOPE,
    reach: 'district',
    errorFormat: 'problem+json',
    request: { params: DistrictPath },
    operationId: 'deleteDistrict',
    summary: 'Delete a district that holds no live records',
    success: { 204: { description: 'The district is gone, with its run records and released identities.' } },
    errors: { 404: 'No such district.', 409: 'The district still holds live schools, users or roster memberships; the detail counts them.' },
  },
  'GET /districts/{districtId}/syncs': {
    function: 'districts',
    scope: ADMIN_SCOPE,
    reach: 'district',
    errorFormat: 'problem+json',
    request: { params: DistrictPath, query: SyncRunListQuery },
    operationId: 'listSyncRuns',
    summary: "List a district's sync runs, newest first",
    success: { 200: { description: 'A page of runs.', body: pageOf(SyncRunSchema) } },
    errors: { 404: 'No such district.' },
  },
  'GET /districts/{districtId}/syncs/{runId}': {
    function: 'districts',
    scope: ADMIN_SCOPE,
    reach: 'district',
    errorFormat: 'problem+json',
    request: { params: SyncRunPath },
    operationId: 'getSyncRun',
    summary: "Get one sync run with its summary",
    success: { 200: { description: 'The run.', body: SyncRunDetailSchema } },
    errors: { 404: 'No such district, or no such run of it.' },
  },
  'GET /ims/oneroster/rostering/v1p2/orgs': {
    ...ONEROSTER_ROUTE,
    request: { query: OneRosterCollectionQuery },
    operationId: 'oneRosterGetAllOrgs',
    summary: 'OneRoster: list the districts and schools',
    success: { 200: { description: 'A page.', paged: true, body: OneRosterOrgSet } },
  },
  'GET /ims/oneroster/rostering/v1p2/orgs/{sourcedId}': {
    ...ONEROSTER_ROUTE,
    request: { params: OneRosterPath, query: OneRosterRecordQuery },
    operationId: 'oneRosterGetOrg',
    summary: 'OneRoster: get a district or a school',
    success: { 200: { description: 'The record.', body: OneRosterSingleOrg } },
    errors: { 404: 'No such org (`unknownobject`).' },
  },
  'GET /ims/oneroster/rostering/v1p2/schools': {
    ...ONEROSTER_ROUTE,
    request: { query: OneRosterCollectionQuery },
    operationId: 'oneRosterGetAllSchools',
    summary: 'OneRoster: list the schools',
    success: { 200: { description: 'A page.', paged: true, body: OneRosterOrgSet } },
  },
  'GET /ims/oneroster/rostering/v1p2/schools/{sourcedId}': {
    ...ONEROSTER_ROUTE,
    request: { params: OneRosterPath, query: OneRosterRecordQuery },
    operationId: 'oneRosterGetSchool',
    summary: 'OneRoster: get a school',
    success: { 200: { description: 'The record.', body: OneRosterSingleOrg } },
    errors: { 404: 'No such school (`unknownobject`).' },
  },
  'GET /ims/oneroster/rostering/v1p2/users': {
    ...ONEROSTER_ROUTE,
    request: { query: OneRosterCollectionQuery },
    operationId: 'oneRosterGetAllUsers',
    summary: 'OneRoster: list the users',
    description: 'Users that hold a role in a school, and those removed in the last CHANGES_RETENTION_DAYS days (`tobedeleted`).',
    success: { 200: { description: 'A page.', paged: true, body: OneRosterUserSet } },
  },
  'GET /ims/oneroster/rostering/v1p2/users/{sourcedId}': {
    ...ONEROSTER_ROUTE,
    request: { params: OneRosterPath, query: OneRosterRecordQuery },
    operationId: 'oneRosterGetUser',
    summary: 'OneRoster: get a user',
    success: { 200: { description: 'The record.', body: OneRosterSingleUser } },
    errors: { 404: 'No such user (`unknownobject`).' },
  },
  'GET /ims/oneroster/rostering/v1p2/students': {
    ...ONEROSTER_ROUTE,
    request: { query: OneRosterCollectionQuery },
    operationId: 'oneRosterGetAllStudents',
    summary: 'OneRoster: list the users who are a student in a school',
    success: { 200: { description: 'A page.', paged: true, body: OneRosterUserSet } },
  },
  'GET /ims/oneroster/rostering/v1p2/students/{sourcedId}': {
    ...ONEROSTER_ROUTE,
    request: { params: OneRosterPath, query: OneRosterRecordQuery },
    operationId: 'oneRosterGetStudent',
    summary: 'OneRoster: get a student',
    success: { 200: { description: 'The record.', body: OneRosterSingleUser } },
    errors: { 404: 'No such student (`unknownobject`).' },
  },
  'GET /ims/oneroster/rostering/v1p2/teachers': {
    ...ONEROSTER_ROUTE,
    request: { query: OneRosterCollectionQuery },
    operationId: 'oneRosterGetAllTeachers',
    summary: 'OneRoster: list the users who teach in a school (guest lecturers included)',
    success: { 200: { description: 'A page.', paged: true, body: OneRosterUserSet } },
  },
  'GET /ims/oneroster/rostering/v1p2/teachers/{sourcedId}': {
    ...ONEROSTER_ROUTE,
    request: { params: OneRosterPath, query: OneRosterRecordQuery },
    operationId: 'oneRosterGetTeacher',
    summary: 'OneRoster: get a teacher',
    success: { 200: { description: 'The record.', body: OneRosterSingleUser } },
    errors: { 404: 'No such teacher (`unknownobject`).' },
  },
  'GET /ims/oneroster/rostering/v1p2/schools/{sourcedId}/students': {
    ...ONEROSTER_ROUTE,
    request: { params: OneRosterPath, query: OneRosterCollectionQuery },
    operationId: 'oneRosterGetStudentsForSchool',
    summary: "OneRoster: list a school's students",
    success: { 200: { description: 'A page.', paged: true, body: OneRosterUserSet } },
    errors: { 404: 'No such school (`unknownobject`).' },
  },
  'GET /ims/oneroster/rostering/v1p2/schools/{sourcedId}/teachers': {
    ...ONEROSTER_ROUTE,
    request: { params: OneRosterPath, query: OneRosterCollectionQuery },
    operationId: 'oneRosterGetTeachersForSchool',
    summary: "OneRoster: list a school's teachers",
    success: { 200: { description: 'A page.', paged: true, body: OneRosterUserSet } },
    errors: { 404: 'No such school (`unknownobject`).' },
  },
} as const satisfies Record<string, Route>;

export type RouteKey = keyof typeof ROUTES;

/** The scope a request needs: the route's, or its `eraseScope` when the query asks for erasure. */
export function scopeOf(route: Route, query: Record<string, string | undefined> | undefined): Scope {
  return route.eraseScope && query?.erase === 'true' ? route.eraseScope : route.scope;
}

/** Whether `scopes` admit the request: the scope it needs, or the route's alternative to it. */
export function scopesAdmit(route: Route, query: Record<string, string | undefined> | undefined, scopes: ReadonlySet<string>): boolean {
  const needed = scopeOf(route, query);
  return scopes.has(needed) || (needed === route.scope && route.alternativeScope !== undefined && scopes.has(route.alternativeScope));
}

/** The table's entry for an API Gateway route key, or undefined for a key it does not list. */
export function routeOf(routeKey: string): Route | undefined {
  return Object.hasOwn(ROUTES, routeKey) ? ROUTES[routeKey as RouteKey] : undefined;
}

/**
 * Errors any route may answer besides its own: 400 bad input, 401 (API Gateway's authorizer), 403, 429
 * (API Gateway's throttling), 500 and 503; and for any method but GET, whose body is parsed, 413 and 415.
 */
export function statusesOf(routeKey: RouteKey): number[] {
  const route: Route = ROUTES[routeKey];
  const withBody = !routeKey.startsWith('GET ') ? [413, 415] : [];
  return [...Object.keys(route.success).map(Number), ...Object.keys(route.errors ?? {}).map(Number), 400, 401, 403, ...withBody, 429, 500, 503].sort(
    (a, b) => a - b,
  );
}
