import { httpHandler } from '../shared/http/handler';
import { created, noContent, ok } from '../shared/http/responses';
import { dispatch } from '../shared/http/router';
import { createWebhook, deleteWebhook, getWebhook, listWebhooks } from '../shared/webhooks/subscriptions';

export const handler = httpHandler(
  dispatch('webhooks', {
    'POST /webhooks': async ({ body }) => {
      const webhook = await createWebhook(body);
      return created(`/webhooks/${webhook.webhookId}`, webhook);
    },
    'GET /webhooks': async ({ query }) => ok(await listWebhooks(query)),
    'GET /webhooks/{webhookId}': async ({ params }) => ok(await getWebhook(params.webhookId)),
    'DELETE /webhooks/{webhookId}': async ({ params }) => {
      await deleteWebhook(params.webhookId);
      return noContent();
    },
  }),
);
