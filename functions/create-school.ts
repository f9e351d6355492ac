import { actorOf } from '../shared/http/actor';
import { httpHandler } from '../shared/http/handler';
import { idempotent } from '../shared/http/idempotency';
import { created } from '../shared/http/responses';
import { dispatch } from '../shared/http/router';
import { createSchool } from '../shared/services/schools';

export const handler = httpHandler(
  dispatch('create-school', {
    'POST /schools': async ({ body }, event) =>
      idempotent(event, async (transaction) => {
        const { record, etag } = await createSchool(body, actorOf(event), { transaction });
        return created(`/schools/${record.schoolId}`, record, { ETag: etag });
      }),
  }),
);
