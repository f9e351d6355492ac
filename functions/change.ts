import { actorOf } from '../shared/http/actor';
import { readIfMatch } from '../shared/http/conditional';
import { httpHandler } from '../shared/http/handler';
import { noContent, ok } from '../shared/http/responses';
import { dispatch } from '../shared/http/router';
import { deleteSchool, eraseSchool, patchSchool } from '../shared/services/schools';
import { deleteUser, eraseUser, patchUser } from '../shared/services/users';

export const handler = httpHandler(
  dispatch('change', {
    'PATCH /users/{userId}': async ({ params, body }, event) => {
      const { record, etag } = await patchUser(params.userId, body, readIfMatch(event), actorOf(event));
      return ok(record, { ETag: etag });
    },
    'PATCH /schools/{schoolId}': async ({ params, body }, event) => {
      const { record, etag } = await patchSchool(params.schoolId, body, readIfMatch(event), actorOf(event));
      return ok(record, { ETag: etag });
    },
    'DELETE /users/{userId}': async ({ params, query }, event) => {
      await (query.erase === 'true' ? eraseUser : deleteUser)(params.userId, readIfMatch(event), actorOf(event));
      return noContent();
    },
    'DELETE /schools/{schoolId}': async ({ params, query }, event) => {
      await (query.erase === 'true' ? eraseSchool : deleteSchool)(params.schoolId, readIfMatch(event), actorOf(event));
      return noContent();
    },
  }),
);
