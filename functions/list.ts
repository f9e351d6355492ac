import { httpHandler } from '../shared/http/handler';
import { ok } from '../shared/http/responses';
import { routeByKey } from '../shared/http/router';
import type { HttpEvent } from '../shared/http/types';
import { MemberListQuery, SchoolListQuery, SchoolPath, UserListQuery, UserPath } from '../shared/schemas';
import { listSchoolMembers, listSchools, listSchoolsOfUser, listUsers } from '../shared/services/lists';
import { getSchool } from '../shared/services/schools';
import { getUser } from '../shared/services/users';
import { parseInput } from '../shared/validation';

const query = (event: HttpEvent) => event.queryStringParameters ?? {};

/** Every GET route of docs/api.md#routes. */
export const handler = httpHandler(
  routeByKey({
    'GET /users': async (event) => ok(await listUsers(parseInput(UserListQuery, query(event)))),
    'GET /schools': async (event) => ok(await listSchools(parseInput(SchoolListQuery, query(event)))),
    'GET /users/{userId}': async (event) => ok(await getUser(parseInput(UserPath, event.pathParameters).userId)),
    'GET /schools/{schoolId}': async (event) => ok(await getSchool(parseInput(SchoolPath, event.pathParameters).schoolId)),
    'GET /users/{userId}/schools': async (event) => {
      const { userId } = parseInput(UserPath, event.pathParameters);
      return ok(await listSchoolsOfUser(userId, parseInput(SchoolListQuery, query(event))));
    },
    'GET /schools/{schoolId}/users': async (event) => {
      const { schoolId } = parseInput(SchoolPath, event.pathParameters);
      return ok(await listSchoolMembers(schoolId, parseInput(MemberListQuery, query(event))));
    },
  }),
);
