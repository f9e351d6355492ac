import { httpHandler } from '../shared/http/handler';
import { idempotent } from '../shared/http/idempotency';
import { created } from '../shared/http/responses';
import { CreateUserBody } from '../shared/schemas';
import { createUser } from '../shared/services/users';
import { parseInput } from '../shared/validation';

/** POST /users, once per Idempotency-Key */
export const handler = httpHandler(async (event) => {
  const input = parseInput(CreateUserBody, event.body);
  return idempotent(event, async (transaction) => {
    const user = await createUser(input, { transaction });
    return created(`/users/${user.userId}`, user);
  });
});
