import middy from '@middy/core';
import { databaseLifecycle } from '../shared/http/database';
import { logger } from '../shared/logger';
import { deliverDue, type DeliverResult } from '../shared/webhooks/delivery';
import { configuredSender } from '../shared/webhooks/sender';

/**
 * The scheduled webhook delivery (docs/change-feed.md), every minute: leases the due subscriptions and delivers
 * their events in feed order, each subscription in parallel with the others. Not on the HTTP API. It
 * stops starting deliveries 15 s before its 60 s timeout, enough for a last one to time out (10 s).
 */
const send = configuredSender();

export const handler = middy<unknown, DeliverResult>(async () => {
  const result = await deliverDue({ send, budgetMs: 45_000 });
  if (result.subscriptions > 0) logger.info('webhook deliveries', { ...result });
  return result;
}).use(databaseLifecycle<unknown, DeliverResult>());
