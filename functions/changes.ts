import { readChanges } from '../shared/changes/feed';
import { httpHandler } from '../shared/http/handler';
import { ok } from '../shared/http/responses';
import { dispatch } from '../shared/http/router';

export const handler = httpHandler(
  dispatch('changes', {
    'GET /changes': async ({ query }) => {
      const { items, nextCursor } = await readChanges(query);
      return ok({ items, nextCursor });
    },
  }),
);
