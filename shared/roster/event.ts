import * as z from 'zod';
import { parseInput } from '../validation';
import type { SyncOptions } from './sync';

/** A hand invocation: `{"districtId": "...", "source": "s3://bucket/prefix/", "force": false}`, each optional. */
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
