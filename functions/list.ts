import { httpHandler } from '../shared/http/handler';
import { ok } from '../shared/http/responses';
import { routeByKey } from '../shared/http/router';
import { SchoolPath, UserPath } from '../shared/schemas';
import { getSchool } from '../shared/services/schools';
import { getUser } from '../shared/services/users';
import { parseInput } from '../shared/validation';

/** Every GET route of SPEC §4. */
export const handler = httpHandler(
  routeByKey({
    'GET /users/{userId}': async (event) => ok(await getUser(parseInput(UserPath, event.pathParameters).userId)),
    'GET /schools/{schoolId}': async (event) => ok(await getSchool(parseInput(SchoolPath, event.pathParameters).schoolId)),
  }),
);
