import { actorOf } from '../shared/http/actor';
import { httpHandler } from '../shared/http/handler';
import { created, noContent, ok } from '../shared/http/responses';
import { dispatch } from '../shared/http/router';
import { linkUserToSchool, unlinkUserFromSchool } from '../shared/services/memberships';

export const handler = httpHandler(
  dispatch('link', {
    // No body links with the default role, or keeps an existing link's role.
    'PUT /schools/{schoolId}/users/{userId}': async ({ params: { schoolId, userId }, body }, event) => {
      const { created: isNew, membership } = await linkUserToSchool(schoolId, userId, body, actorOf(event));
      return isNew ? created(`/schools/${schoolId}/users/${userId}`, membership) : ok(membership);
    },
    'DELETE /schools/{schoolId}/users/{userId}': async ({ params: { schoolId, userId } }, event) => {
      await unlinkUserFromSchool(schoolId, userId, actorOf(event));
      return noContent();
    },
  }),
);
