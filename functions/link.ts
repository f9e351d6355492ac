import { httpHandler } from '../shared/http/handler';
import { created, noContent, ok } from '../shared/http/responses';
import { routeByKey } from '../shared/http/router';
import { LinkBody, MembershipPath } from '../shared/schemas';
import { linkUserToSchool, unlinkUserFromSchool } from '../shared/services/memberships';
import { parseInput } from '../shared/validation';

/** PUT and DELETE /schools/{schoolId}/users/{userId}. */
export const handler = httpHandler(
  routeByKey({
    'PUT /schools/{schoolId}/users/{userId}': async (event) => {
      const { schoolId, userId } = parseInput(MembershipPath, event.pathParameters);
      // The body is optional: no body links with the default role, or keeps an existing link's role.
      const { created: isNew, membership } = await linkUserToSchool(schoolId, userId, parseInput(LinkBody, event.body === undefined ? {} : event.body));
      return isNew ? created(`/schools/${schoolId}/users/${userId}`, membership) : ok(membership);
    },
    'DELETE /schools/{schoolId}/users/{userId}': async (event) => {
      const { schoolId, userId } = parseInput(MembershipPath, event.pathParameters);
      await unlinkUserFromSchool(schoolId, userId);
      return noContent();
    },
  }),
);
