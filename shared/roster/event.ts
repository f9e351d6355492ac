import * as z from 'zod';
import { parseInput } from '../validation';
import type { SyncOptions } from './sync';

/**
 * A hand invocation, or the body of a message of the sync queue: `{"districtId": "...", "source":
 * "s3://bucket/prefix/", "force": false}`, each optional.
 */
const ManualSyncEvent = z.strictObject({
  districtId: z.uuid().optional(),
  source: z.string().min(1).optional(),
  force: z.boolean().optional(),
});

/** EventBridge's scheduled event carries its own `source` ("aws.events"), which is not a roster location. */
function isScheduledEvent(event: unknown): boolean {
  return typeof event === 'object' && event !== null && (event as Record<string, unknown>)['detail-type'] === 'Scheduled Event';
}

/**
 * The run a `sync` invocation asks for: a scheduled event syncs the deployment's only district (its
 * `rosterSource`, else `ROSTER_SOURCE`); a hand invocation may name a district, another source and set `force`.
 * @throws ValidationError for an event of any other shape
 */
export function parseSyncEvent(event: unknown): SyncOptions {
  if (isScheduledEvent(event)) return {};
  return parseInput(ManualSyncEvent, event ?? {}, 'The sync event is not valid.');
}

/** A message of the sync queue, as Lambda's SQS event source mapping hands it over. */
export interface QueuedSync {
  messageId: string;
  body: string;
}

/** The records of an SQS event (docs/decisions/0020-scheduling-districts.md), or undefined for any other event. */
export function queuedSyncs(event: unknown): QueuedSync[] | undefined {
  const records = (event as { Records?: unknown } | null)?.Records;
  if (!Array.isArray(records) || records.length === 0) return undefined;
  if (!records.every((record) => (record as { eventSource?: unknown })?.eventSource === 'aws:sqs')) return undefined;
  return records.map((record) => ({ messageId: String(record.messageId), body: String(record.body) }));
}

/**
 * The run a queued message asks for: its body is a hand invocation's JSON.
 * @throws ValidationError for a body that is not one
 */
export function parseQueuedSync(message: QueuedSync): SyncOptions {
  let body: unknown;
  try {
    body = JSON.parse(message.body);
  } catch {
    body = undefined;
  }
  return parseInput(ManualSyncEvent, body, 'The queued sync message is not valid.');
}
