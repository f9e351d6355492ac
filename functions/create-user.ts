import { httpHandler } from '../shared/http/handler';
import { created } from '../shared/http/responses';
import { CreateUserBody } from '../shared/schemas';
import { createUser } from '../shared/services/users';
import { parseInput } from '../shared/validation';

/** POST /users */
export const handler = httpHandler(async (event) => {
  const user = await createUser(parseInput(CreateUserBody, event.body));
  return created(`/users/${user.userId}`, user);
});
