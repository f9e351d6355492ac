import { randomUUID } from 'node:crypto';
import { ROUTES, statusesOf, type RouteKey } from '../../shared/http/routes';
import { withClient } from './db';
import type { HttpEventInput, Invocable } from './events';

/**
 * Rows every route case can point at: a user, a school made through the API, the user's membership of
 * that school, a district (holding nothing) with one sync run, and a webhook subscription.
 */
export interface Fixture {
  userId: string;
  schoolId: string;
  districtId: string;
  runId: string;
  webhookId: string;
}

/** What the suites need of a route beyond the route table: a request it accepts, and how to repeat it. */
interface RouteCaseInput {
  /** Path parameters the route template names. */
  params: readonly (keyof Fixture)[];
  /** The fixture id a OneRoster route's `{sourcedId}` names (docs/oneroster.md: a record's sourcedId is its own id). */
  sourcedId?: keyof Fixture;
  /** A request the route accepts, and the status it answers. */
  valid(fixture: Fixture): Omit<HttpEventInput, 'route'>;
  success: number;
  /** Puts back what an earlier success took away (a DELETE's link or record), before each request and after the last. */
  prepare?(fixtures: readonly Fixture[]): Promise<void>;
  /** The user or school a 201 adds, named by this key of the reply; no other user or school may change. */
  creates?: 'userId' | 'schoolId';
}

export interface RouteCase extends RouteCaseInput {
  route: RouteKey;
  /** The function serverless.yml routes it to, as the route table names it. */
  handler: Invocable;
  /**
   * Every status the function may answer, as the route table documents them, but 5xx (never an answer to
   * any input) and 429 (API Gateway's throttling, which no function answers).
   */
  statuses: readonly number[];
}

/**
 * One entry per route of the route table (a missing one fails the type check and the suites), for the
 * authorization and hostile-input suites.
 */
const CASES: Record<RouteKey, RouteCaseInput> = {
  'POST /users': {
    params: [],
    valid: () => ({ body: { firstName: 'Ada', lastName: 'Lovelace' } }),
    success: 201,
    creates: 'userId',
  },
  'POST /schools': {
    params: [],
    valid: () => ({ body: { name: 'Northside Primary' } }),
    success: 201,
    creates: 'schoolId',
  },
  'GET /users/{userId}': {
    params: ['userId'],
    valid: ({ userId }) => ({ pathParameters: { userId } }),
    success: 200,
  },
  'GET /schools/{schoolId}': {
    params: ['schoolId'],
    valid: ({ schoolId }) => ({ pathParameters: { schoolId } }),
    success: 200,
  },
  'GET /users': {
    params: [],
    valid: () => ({ query: { limit: '10' } }),
    success: 200,
  },
  'GET /schools': {
    params: [],
    valid: () => ({ query: { limit: '10' } }),
    success: 200,
  },
  'GET /users/{userId}/schools': {
    params: ['userId'],
    valid: ({ userId }) => ({ pathParameters: { userId } }),
    success: 200,
  },
  'GET /schools/{schoolId}/users': {
    params: ['schoolId'],
    valid: ({ schoolId }) => ({ pathParameters: { schoolId }, query: { role: 'teacher' } }),
    success: 200,
  },
  'PUT /schools/{schoolId}/users/{userId}': {
    params: ['schoolId', 'userId'],
    valid: ({ schoolId, userId }) => ({ pathParameters: { schoolId, userId }, body: { role: 'guestLecturer' } }),
    success: 200,
  },
  'DELETE /schools/{schoolId}/users/{userId}': {
    params: ['schoolId', 'userId'],
    valid: ({ schoolId, userId }) => ({ pathParameters: { schoolId, userId } }),
    prepare: relinkFixtures,
    success: 204,
  },
  'PATCH /users/{userId}': {
    params: ['userId'],
    valid: ({ userId }) => ({ pathParameters: { userId }, body: { lastName: 'Hopper-Murray' } }),
    success: 200,
  },
  'PATCH /schools/{schoolId}': {
    params: ['schoolId'],
    valid: ({ schoolId }) => ({ pathParameters: { schoolId }, body: { code: 'SOUTH-1' } }),
    success: 200,
  },
  'DELETE /users/{userId}': {
    params: ['userId'],
    valid: ({ userId }) => ({ pathParameters: { userId } }),
    prepare: restoreFixtures,
    success: 204,
  },
  'DELETE /schools/{schoolId}': {
    params: ['schoolId'],
    valid: ({ schoolId }) => ({ pathParameters: { schoolId } }),
    prepare: restoreFixtures,
    success: 204,
  },
  'POST /districts': {
    params: [],
    valid: () => ({ body: { name: 'Eastside Unified', syncSchedule: 'rate(1 day)', rosterSource: 's3://eastside-exports/oneroster/' } }),
    success: 201,
  },
  'GET /districts': {
    params: [],
    valid: () => ({ query: { limit: '10' } }),
    success: 200,
  },
  'GET /changes': {
    params: [],
    valid: () => ({ query: { limit: '10' } }),
    success: 200,
  },
  'GET /districts/{districtId}': {
    params: ['districtId'],
    valid: ({ districtId }) => ({ pathParameters: { districtId } }),
    success: 200,
  },
  'PATCH /districts/{districtId}': {
    params: ['districtId'],
    valid: ({ districtId }) => ({ pathParameters: { districtId }, body: { syncSchedule: 'cron(0 3 * * ? *)', maxDeleteRatio: null } }),
    success: 200,
  },
  'DELETE /districts/{districtId}': {
    params: ['districtId'],
    valid: ({ districtId }) => ({ pathParameters: { districtId } }),
    prepare: restoreDistricts,
    success: 204,
  },
  'GET /districts/{districtId}/syncs': {
    params: ['districtId'],
    valid: ({ districtId }) => ({ pathParameters: { districtId }, query: { limit: '5' } }),
    success: 200,
  },
  'GET /districts/{districtId}/syncs/{runId}': {
    params: ['districtId', 'runId'],
    valid: ({ districtId, runId }) => ({ pathParameters: { districtId, runId } }),
    success: 200,
  },
  'POST /webhooks': {
    params: [],
    valid: () => ({ body: { url: 'http://127.0.0.1:9/hooks', types: ['user.created'] } }),
    success: 201,
  },
  'GET /webhooks': {
    params: [],
    valid: () => ({ query: { limit: '10' } }),
    success: 200,
  },
  'GET /webhooks/{webhookId}': {
    params: ['webhookId'],
    valid: ({ webhookId }) => ({ pathParameters: { webhookId } }),
    success: 200,
  },
  'DELETE /webhooks/{webhookId}': {
    params: ['webhookId'],
    valid: ({ webhookId }) => ({ pathParameters: { webhookId } }),
    prepare: restoreWebhooks,
    success: 204,
  },
  'GET /ims/oneroster/rostering/v1p2/orgs': {
    params: [],
    valid: () => ({ query: { limit: '10', filter: "type='school'" } }),
    success: 200,
  },
  'GET /ims/oneroster/rostering/v1p2/orgs/{sourcedId}': {
    params: [],
    sourcedId: 'schoolId',
    valid: ({ schoolId }) => ({ pathParameters: { sourcedId: schoolId } }),
    success: 200,
  },
  'GET /ims/oneroster/rostering/v1p2/schools': {
    params: [],
    valid: () => ({ query: { sort: 'name', fields: 'sourcedId,name' } }),
    success: 200,
  },
  'GET /ims/oneroster/rostering/v1p2/schools/{sourcedId}': {
    params: [],
    sourcedId: 'schoolId',
    valid: ({ schoolId }) => ({ pathParameters: { sourcedId: schoolId } }),
    success: 200,
  },
  'GET /ims/oneroster/rostering/v1p2/users': {
    params: [],
    valid: () => ({ query: { limit: '10', filter: "dateLastModified>'2020-01-01T00:00:00Z'" } }),
    success: 200,
  },
  'GET /ims/oneroster/rostering/v1p2/users/{sourcedId}': {
    params: [],
    sourcedId: 'userId',
    valid: ({ userId }) => ({ pathParameters: { sourcedId: userId } }),
    success: 200,
  },
  'GET /ims/oneroster/rostering/v1p2/students': {
    params: [],
    valid: () => ({ query: { offset: '0' } }),
    prepare: (fixtures) => setFixtureRoles(fixtures, 'student'),
    success: 200,
  },
  'GET /ims/oneroster/rostering/v1p2/students/{sourcedId}': {
    params: [],
    sourcedId: 'userId',
    valid: ({ userId }) => ({ pathParameters: { sourcedId: userId } }),
    prepare: (fixtures) => setFixtureRoles(fixtures, 'student'),
    success: 200,
  },
  'GET /ims/oneroster/rostering/v1p2/teachers': {
    params: [],
    valid: () => ({ query: { orderBy: 'desc' } }),
    prepare: (fixtures) => setFixtureRoles(fixtures, 'teacher'),
    success: 200,
  },
  'GET /ims/oneroster/rostering/v1p2/teachers/{sourcedId}': {
    params: [],
    sourcedId: 'userId',
    valid: ({ userId }) => ({ pathParameters: { sourcedId: userId } }),
    prepare: (fixtures) => setFixtureRoles(fixtures, 'teacher'),
    success: 200,
  },
  'GET /ims/oneroster/rostering/v1p2/schools/{sourcedId}/students': {
    params: [],
    sourcedId: 'schoolId',
    valid: ({ schoolId }) => ({ pathParameters: { sourcedId: schoolId } }),
    prepare: (fixtures) => setFixtureRoles(fixtures, 'student'),
    success: 200,
  },
  'GET /ims/oneroster/rostering/v1p2/schools/{sourcedId}/teachers': {
    params: [],
    sourcedId: 'schoolId',
    valid: ({ schoolId }) => ({ pathParameters: { sourcedId: schoolId }, query: { fields: 'sourcedId,roles' } }),
    prepare: (fixtures) => setFixtureRoles(fixtures, 'teacher'),
    success: 200,
  },
};

/**
 * The case of each route of the route table, read FROM the table: a route with no case throws here, so
 * the suites that iterate over ROUTE_CASES fail rather than skip it.
 */
export const ROUTE_CASES: readonly RouteCase[] = (Object.keys(ROUTES) as RouteKey[]).map((route) => {
  const input = Object.hasOwn(CASES, route) ? CASES[route] : undefined;
  if (!input) throw new Error(`${route} is in the route table but has no case in tests/support/routes.ts`);
  const { handler } = require(`../../functions/${ROUTES[route].function}`) as { handler: Invocable };
  return { ...input, route, handler, statuses: statusesOf(route).filter((status) => status !== 429 && status < 500) };
});

/** Gives each fixture's membership `role`, linking it again where a DELETE removed it: for a OneRoster route that serves one role. */
function setFixtureRoles(fixtures: readonly Fixture[], role: string): Promise<void> {
  return withClient(async (client) => {
    await client.query(
      `INSERT INTO user_schools ("userUserId", "schoolSchoolId", role) SELECT u, s, $3 FROM unnest($1::uuid[], $2::uuid[]) AS t (u, s)
       ON CONFLICT ("userUserId", "schoolSchoolId") DO UPDATE SET role = EXCLUDED.role WHERE user_schools.role <> EXCLUDED.role`,
      [fixtures.map((f) => f.userId), fixtures.map((f) => f.schoolId), role],
    );
  });
}

/** Links each fixture's user to its school again, where a DELETE removed the link. */
function relinkFixtures(fixtures: readonly Fixture[]): Promise<void> {
  return withClient(async (client) => {
    await client.query(
      `INSERT INTO user_schools ("userUserId", "schoolSchoolId")
       SELECT * FROM unnest($1::uuid[], $2::uuid[]) ON CONFLICT DO NOTHING`,
      [fixtures.map((f) => f.userId), fixtures.map((f) => f.schoolId)],
    );
  });
}

/**
 * Undoes a DELETE of each fixture's user or school: a soft delete is reverted, an erased record made
 * again under its id; then they are linked again.
 */
async function restoreFixtures(fixtures: readonly Fixture[]): Promise<void> {
  const users = fixtures.map((f) => f.userId);
  const schools = fixtures.map((f) => f.schoolId);
  await withClient(async (client) => {
    await client.query(`UPDATE users SET "deletedAt" = NULL WHERE "userId" = ANY($1::uuid[]) AND "deletedAt" IS NOT NULL`, [users]);
    await client.query(`UPDATE schools SET "deletedAt" = NULL WHERE "schoolId" = ANY($1::uuid[]) AND "deletedAt" IS NOT NULL`, [schools]);
    await client.query(`INSERT INTO users ("userId", "firstName", "lastName") SELECT id, 'Grace', 'Hopper' FROM unnest($1::uuid[]) id ON CONFLICT DO NOTHING`, [users]);
    await client.query(`INSERT INTO schools ("schoolId", "name") SELECT id, 'Southside High' FROM unnest($1::uuid[]) id ON CONFLICT DO NOTHING`, [schools]);
  });
  await relinkFixtures(fixtures);
}

/** Puts back each fixture's district and its run, where a DELETE removed them. */
function restoreDistricts(fixtures: readonly Fixture[]): Promise<void> {
  return withClient(async (client) => {
    for (const { districtId, runId } of fixtures) {
      await client.query(`INSERT INTO districts ("districtId", "name") VALUES ($1, 'Westside District') ON CONFLICT DO NOTHING`, [districtId]);
      await client.query(
        `INSERT INTO roster_sync_runs ("id", "districtId", "status", "finishedAt", "summary") VALUES ($1, $2, 'succeeded', now(), '{"users": {"created": 0}}')
         ON CONFLICT DO NOTHING`,
        [runId, districtId],
      );
    }
  });
}

/** A webhook subscription row as POST /webhooks leaves one (its secret never decrypted by these suites). */
const INSERT_WEBHOOK = `INSERT INTO webhooks ("webhookId", "url", "secret", "cursorPosition", "cursorEventId", "nextAttemptAt")
  SELECT id, 'http://127.0.0.1:9/hooks', '\\x00', 0, 0, now() + interval '100 years' FROM unnest($1::uuid[]) AS id ON CONFLICT DO NOTHING`;

/** Puts back the fixtures' webhook subscriptions, where a DELETE removed them. */
function restoreWebhooks(fixtures: readonly Fixture[]): Promise<void> {
  return withClient(async (client) => {
    await client.query(INSERT_WEBHOOK, [fixtures.map((f) => f.webhookId)]);
  });
}

/** Inserts the fixture's rows beside the service, as the roster sync or another caller would have. */
export async function insertFixture(): Promise<Fixture> {
  return withClient(async (client) => {
    const user = await client.query(`INSERT INTO users ("firstName", "lastName") VALUES ('Grace', 'Hopper') RETURNING "userId"`);
    const school = await client.query(`INSERT INTO schools ("name", "code") VALUES ('Southside High', NULL) RETURNING "schoolId"`);
    const district = await client.query(`INSERT INTO districts ("name") VALUES ('Westside District') RETURNING "districtId"`);
    const run = await client.query(
      `INSERT INTO roster_sync_runs ("districtId", "status", "finishedAt", "summary") VALUES ($1, 'succeeded', now(), '{"users": {"created": 0}}') RETURNING id`,
      [district.rows[0].districtId],
    );
    const fixture = {
      userId: user.rows[0].userId as string,
      schoolId: school.rows[0].schoolId as string,
      districtId: district.rows[0].districtId as string,
      runId: run.rows[0].id as string,
      webhookId: randomUUID(),
    };
    await client.query(`INSERT INTO user_schools ("userUserId", "schoolSchoolId") VALUES ($1, $2)`, [fixture.userId, fixture.schoolId]);
    await client.query(INSERT_WEBHOOK, [[fixture.webhookId]]);
    return fixture;
  });
}
