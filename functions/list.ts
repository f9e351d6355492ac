import { httpHandler } from '../shared/http/handler';
import { ok } from '../shared/http/responses';
import { dispatch } from '../shared/http/router';
import { listSchoolMembers, listSchools, listSchoolsOfUser, listUsers } from '../shared/services/lists';
import { getSchool } from '../shared/services/schools';
import { getUser } from '../shared/services/users';

export const handler = httpHandler(
  dispatch('list', {
    'GET /users': async ({ query }) => ok(await listUsers(query)),
    'GET /schools': async ({ query }) => ok(await listSchools(query)),
    'GET /users/{userId}': async ({ params }) => {
      const { record, etag } = await getUser(params.userId);
      return ok(record, { ETag: etag });
    },
    'GET /schools/{schoolId}': async ({ params }) => {
      const { record, etag } = await getSchool(params.schoolId);
      return ok(record, { ETag: etag });
    },
    'GET /users/{userId}/schools': async ({ params, query }) => ok(await listSchoolsOfUser(params.userId, query)),
    'GET /schools/{schoolId}/users': async ({ params, query }) => ok(await listSchoolMembers(params.schoolId, query)),
  }),
);
