import { handler as createSchool } from '../../functions/create-school';
import { handler as createUser } from '../../functions/create-user';
import { handler as link } from '../../functions/link';
import { handler as list } from '../../functions/list';
import { withClient } from './db';
import type { HttpEventInput, Invocable } from './events';

/** Rows every route case can point at: a user, a school, and the user's membership of that school. */
export interface Fixture {
  userId: string;
  schoolId: string;
}

export interface RouteCase {
  /** The route key, as in serverless.yml and shared/http/access.ts. */
  route: string;
  handler: Invocable;
  /** Path parameters the route template names. */
  params: readonly ('userId' | 'schoolId')[];
  /** A request the route accepts, and the status it answers. */
  valid(fixture: Fixture): Omit<HttpEventInput, 'route'>;
  success: number;
  /** Every status the route documents (docs/api.md: routes, errors, authentication) besides 503: anything else is a bug. */
  statuses: readonly number[];
  /** Puts back what an earlier success took away (a DELETE's link), before each request. */
  prepare?(fixtures: readonly Fixture[]): Promise<void>;
  /** The user or school a 201 adds, named by this key of the reply; no other user or school may change. */
  creates?: 'userId' | 'schoolId';
}

/** Statuses every route may answer: bad input, no identity, no permission, body too large, not JSON. */
const COMMON = [400, 401, 403, 413, 415];

/**
 * Every HTTP route the service has, for the authorization and hostile-input suites. A new route gets
 * its line here (the suites then cover it with no other change).
 */
export const ROUTE_CASES: readonly RouteCase[] = [
  {
    route: 'POST /users',
    handler: createUser,
    params: [],
    valid: () => ({ body: { firstName: 'Ada', lastName: 'Lovelace' } }),
    success: 201,
    statuses: [201, 409, ...COMMON],
    creates: 'userId',
  },
  {
    route: 'POST /schools',
    handler: createSchool,
    params: [],
    valid: () => ({ body: { name: 'Northside Primary' } }),
    success: 201,
    statuses: [201, 409, ...COMMON],
    creates: 'schoolId',
  },
  {
    route: 'GET /users/{userId}',
    handler: list,
    params: ['userId'],
    valid: ({ userId }) => ({ pathParameters: { userId } }),
    success: 200,
    statuses: [200, 404, ...COMMON],
  },
  {
    route: 'GET /schools/{schoolId}',
    handler: list,
    params: ['schoolId'],
    valid: ({ schoolId }) => ({ pathParameters: { schoolId } }),
    success: 200,
    statuses: [200, 404, ...COMMON],
  },
  {
    route: 'GET /users',
    handler: list,
    params: [],
    valid: () => ({ query: { limit: '10' } }),
    success: 200,
    statuses: [200, ...COMMON],
  },
  {
    route: 'GET /schools',
    handler: list,
    params: [],
    valid: () => ({ query: { limit: '10' } }),
    success: 200,
    statuses: [200, ...COMMON],
  },
  {
    route: 'GET /users/{userId}/schools',
    handler: list,
    params: ['userId'],
    valid: ({ userId }) => ({ pathParameters: { userId } }),
    success: 200,
    statuses: [200, 404, ...COMMON],
  },
  {
    route: 'GET /schools/{schoolId}/users',
    handler: list,
    params: ['schoolId'],
    valid: ({ schoolId }) => ({ pathParameters: { schoolId }, query: { role: 'teacher' } }),
    success: 200,
    statuses: [200, 404, ...COMMON],
  },
  {
    route: 'PUT /schools/{schoolId}/users/{userId}',
    handler: link,
    params: ['schoolId', 'userId'],
    valid: ({ schoolId, userId }) => ({ pathParameters: { schoolId, userId }, body: { role: 'guestLecturer' } }),
    success: 200,
    statuses: [200, 201, 404, ...COMMON],
  },
  {
    route: 'DELETE /schools/{schoolId}/users/{userId}',
    handler: link,
    params: ['schoolId', 'userId'],
    valid: ({ schoolId, userId }) => ({ pathParameters: { schoolId, userId } }),
    prepare: relinkFixtures,
    success: 204,
    statuses: [204, 404, ...COMMON],
  },
];

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

/** Inserts the fixture's rows beside the service, as the roster sync or another caller would have. */
export async function insertFixture(): Promise<Fixture> {
  return withClient(async (client) => {
    const user = await client.query(`INSERT INTO users ("firstName", "lastName") VALUES ('Grace', 'Hopper') RETURNING "userId"`);
    const school = await client.query(`INSERT INTO schools ("name", "code") VALUES ('Southside High', NULL) RETURNING "schoolId"`);
    const fixture = { userId: user.rows[0].userId as string, schoolId: school.rows[0].schoolId as string };
    await client.query(`INSERT INTO user_schools ("userUserId", "schoolSchoolId") VALUES ($1, $2)`, [fixture.userId, fixture.schoolId]);
    return fixture;
  });
}
