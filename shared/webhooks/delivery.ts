import { randomUUID } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import { Webhook } from 'standardwebhooks';
import { readChanges } from '../changes/feed';
import { config } from '../config';
import { getSequelize } from '../db/sequelize';
import { GoneError } from '../errors';
import { logger } from '../logger';
import type { ChangeEventDto, ChangePage, FeedCursor } from '../schemas';
import { decryptSecret } from './secrets';
import type { Delivery, DeliveryOutcome } from './send';

/**
 * How long a deliverer owns the subscriptions it leased. Renewed before every send, so it always covers
 * one delivery (the receiver's 10 s) with room; a deliverer that died frees them when it runs out.
 */
const LEASE_SECONDS = 60;
/** Backoff after the n-th failure in a row: 5 s, 10 s, 20 s, ... at most an hour, with ±10 % jitter. */
const BACKOFF_BASE_SECONDS = 5;
const BACKOFF_MAX_SECONDS = 3600;
/** Events read from the feed at a time for one subscription. */
const FEED_PAGE = 100;

interface LeasedWebhook {
  webhookId: string;
  url: string;
  types: string[] | null;
  secret: Buffer;
  cursorPosition: string;
  cursorEventId: string;
}

export interface DeliverOptions {
  /** Subscriptions leased per call (each is delivered concurrently with the others). */
  maxSubscriptions?: number;
  /** Stop starting deliveries after this long. */
  budgetMs?: number;
  /** Sends one signed delivery: directly, or through the webhook-sender function when deployed. */
  send: (delivery: Delivery) => Promise<DeliveryOutcome>;
}

export interface DeliverResult {
  subscriptions: number;
  delivered: number;
  failed: number;
}

/**
 * Leases the subscriptions that are due, skipping those another deliverer holds (SKIP LOCKED, then a
 * lease column, so no transaction stays open while a receiver answers).
 */
async function leaseDue(leaseId: string, limit: number): Promise<LeasedWebhook[]> {
  return getSequelize().query<LeasedWebhook>(
    `UPDATE webhooks SET "leasedUntil" = now() + make_interval(secs => $3), "leaseId" = $1
     WHERE "webhookId" IN (
       SELECT "webhookId" FROM webhooks
       WHERE "disabledAt" IS NULL AND "nextAttemptAt" <= now() AND ("leasedUntil" IS NULL OR "leasedUntil" < now())
       ORDER BY "nextAttemptAt" LIMIT $2 FOR UPDATE SKIP LOCKED)
     RETURNING "webhookId", "url", "types", "secret", "cursorPosition", "cursorEventId"`,
    { bind: [leaseId, limit, LEASE_SECONDS], type: QueryTypes.SELECT },
  );
}

/** Moves the cursor and renews the lease; false when the subscription was deleted or the lease lost. */
async function renewLease(webhookId: string, leaseId: string, cursor: FeedCursor): Promise<boolean> {
  const rows = await getSequelize().query(
    `UPDATE webhooks SET "leasedUntil" = now() + make_interval(secs => $5), "cursorPosition" = $3, "cursorEventId" = $4
     WHERE "webhookId" = $1 AND "leaseId" = $2 RETURNING 1`,
    { bind: [webhookId, leaseId, cursor.position, cursor.eventId, LEASE_SECONDS], type: QueryTypes.SELECT },
  );
  return rows.length > 0;
}

/** Records a delivered event: the cursor moves past it and the failure streak ends. */
async function recordSuccess(webhookId: string, leaseId: string, cursor: FeedCursor): Promise<void> {
  await getSequelize().query(
    `UPDATE webhooks SET "cursorPosition" = $3, "cursorEventId" = $4, "attempts" = 0, "failingSince" = NULL, "lastError" = NULL
     WHERE "webhookId" = $1 AND "leaseId" = $2`,
    { bind: [webhookId, leaseId, cursor.position, cursor.eventId], type: QueryTypes.UPDATE },
  );
}

/**
 * Records a failed attempt: the cursor stays before the event, the next attempt waits the backoff, and a
 * subscription failing for longer than its retry window is disabled. The lease ends.
 */
async function recordFailure(webhookId: string, leaseId: string, reason: string): Promise<void> {
  await getSequelize().query(
    `UPDATE webhooks SET "attempts" = "attempts" + 1, "failingSince" = COALESCE("failingSince", now()), "lastError" = $3,
       "nextAttemptAt" = now() + make_interval(secs => least($4::float8 * 2 ^ "attempts", $5::float8) * (0.9 + random() * 0.2)),
       "disabledAt" = CASE WHEN "failingSince" < now() - make_interval(hours => $6::int) THEN now() END,
       "leasedUntil" = NULL, "leaseId" = NULL
     WHERE "webhookId" = $1 AND "leaseId" = $2`,
    { bind: [webhookId, leaseId, reason.slice(0, 255), BACKOFF_BASE_SECONDS, BACKOFF_MAX_SECONDS, config.webhooks.retryWindowHours], type: QueryTypes.UPDATE },
  );
}

/** Ends the lease with the cursor where delivery stopped; the subscription is due again at once. */
async function release(webhookId: string, leaseId: string, cursor: FeedCursor, disable?: string): Promise<void> {
  await getSequelize().query(
    `UPDATE webhooks SET "cursorPosition" = $3, "cursorEventId" = $4, "leasedUntil" = NULL, "leaseId" = NULL,
       "disabledAt" = CASE WHEN $5::varchar IS NOT NULL THEN now() END, "lastError" = COALESCE($5::varchar, "lastError")
     WHERE "webhookId" = $1 AND "leaseId" = $2`,
    { bind: [webhookId, leaseId, cursor.position, cursor.eventId, disable ?? null], type: QueryTypes.UPDATE },
  );
}

const describeOutcome = (outcome: DeliveryOutcome) => ('status' in outcome ? `HTTP ${outcome.status}` : outcome.error);
const succeeded = (outcome: DeliveryOutcome) => 'status' in outcome && outcome.status >= 200 && outcome.status < 300;

/** The Standard Webhooks request for one event: its id as `webhook-id` (the same on every retry), signed now. */
function signedDelivery(signer: Webhook, url: string, event: ChangeEventDto): Delivery {
  const body = JSON.stringify(event);
  const timestamp = new Date();
  return {
    url,
    body,
    headers: {
      'webhook-id': event.id,
      'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'webhook-signature': signer.sign(event.id, timestamp, body),
    },
  };
}

/**
 * Delivers one leased subscription's events in feed order, one at a time, until the feed is drained, a
 * delivery fails, or the deadline passes. Events of types it does not want are stepped over.
 */
async function deliverSubscription(webhook: LeasedWebhook, leaseId: string, options: DeliverOptions, deadline: number, result: DeliverResult): Promise<void> {
  let cursor: FeedCursor = { position: String(webhook.cursorPosition), eventId: String(webhook.cursorEventId) };
  const signer = new Webhook(await decryptSecret(webhook.webhookId, webhook.secret));
  while (Date.now() < deadline) {
    let page: ChangePage & { cursors: FeedCursor[] };
    try {
      page = await readChanges({ after: cursor, limit: FEED_PAGE });
    } catch (error) {
      if (!(error instanceof GoneError)) throw error;
      // Its next event was removed by retention: nothing can make this subscription whole again.
      return release(webhook.webhookId, leaseId, cursor, 'fell behind the change feed retention (CHANGES_RETENTION_DAYS)');
    }
    if (page.items.length === 0) break;
    for (const [index, event] of page.items.entries()) {
      if (webhook.types && !webhook.types.includes(event.type)) {
        cursor = page.cursors[index];
        continue;
      }
      if (Date.now() >= deadline || !(await renewLease(webhook.webhookId, leaseId, cursor))) return release(webhook.webhookId, leaseId, cursor);
      const outcome = await options.send(signedDelivery(signer, webhook.url, event));
      if (!succeeded(outcome)) {
        result.failed++;
        logger.info('webhook delivery failed', { webhookId: webhook.webhookId, eventId: event.id, outcome: describeOutcome(outcome) });
        return recordFailure(webhook.webhookId, leaseId, describeOutcome(outcome));
      }
      result.delivered++;
      cursor = page.cursors[index];
      await recordSuccess(webhook.webhookId, leaseId, cursor);
    }
  }
  await release(webhook.webhookId, leaseId, cursor);
}

/**
 * One run of the scheduled delivery (docs/change-feed.md): leases the due subscriptions and delivers each in
 * parallel with the others, so a slow or dead receiver delays only its own subscription. At least once:
 * the cursor moves only after a 2xx, so a crash between send and record repeats the event (receivers
 * deduplicate by `webhook-id`).
 */
export async function deliverDue(options: DeliverOptions): Promise<DeliverResult> {
  const leaseId = randomUUID();
  const deadline = Date.now() + (options.budgetMs ?? 40_000);
  const leased = await leaseDue(leaseId, options.maxSubscriptions ?? 20);
  const result: DeliverResult = { subscriptions: leased.length, delivered: 0, failed: 0 };
  const outcomes = await Promise.allSettled(leased.map((webhook) => deliverSubscription(webhook, leaseId, options, deadline, result)));
  for (const [index, outcome] of outcomes.entries()) {
    if (outcome.status === 'rejected') {
      // Its lease runs out and the next run takes it up again.
      logger.error('webhook subscription delivery failed', { webhookId: leased[index].webhookId, error: (outcome.reason as Error).name });
    }
  }
  return result;
}
