import * as z from 'zod';
import { parseInput } from '../validation';
import type { SyncOptions } from './sync';

/** A hand invocation: `{"source": "s3://bucket/prefix/", "force": false}`, both optional. */
const ManualSyncEvent = z.strictObject({
  source: z.string().min(1).optional(),
  force: z.boolean().optional(),
});

/** EventBridge's scheduled event carries its own `source` ("aws.events"), which is not a roster location. */
function isScheduledEvent(event: unknown): boolean {
  return typeof event === 'object' && event !== null && (event as Record<string, unknown>)['detail-type'] === 'Scheduled Event';
}

/**
 * The run a `sync` invocation asks for: a scheduled event syncs `ROSTER_SOURCE`; a hand invocation may
 * name another source and set `force`.
 * @throws ValidationError for an event of any other shape
 */
export function parseSyncEvent(event: unknown): SyncOptions {
  if (isScheduledEvent(event)) return {};
  return parseInput(ManualSyncEvent, event ?? {}, 'The sync event is not valid.');
}
