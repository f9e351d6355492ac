import { actorOf } from '../shared/http/actor';
import { httpHandler } from '../shared/http/handler';
import { idempotent } from '../shared/http/idempotency';
import { created } from '../shared/http/responses';
import { dispatch } from '../shared/http/router';
import { createUser } from '../shared/services/users';

export const handler = httpHandler(
  dispatch('create-user', {
    'POST /users': async ({ body }, event) =>
      idempotent(event, async (transaction) => {
        const { record, etag } = await createUser(body, actorOf(event), { transaction });
        return created(`/users/${record.userId}`, record, { ETag: etag });
      }),
  }),
);
