import middy from '@middy/core';
import type { SQSBatchResponse } from 'aws-lambda';
import { logger } from '../shared/logger';
import { publishSyncRun } from '../shared/metrics';
import { parseQueuedSync, parseSyncEvent, queuedSyncs, type QueuedSync } from '../shared/roster/event';
import { runRosterSync, type SyncOptions } from '../shared/roster/sync';
import type { SyncSummary } from '../shared/roster/types';

/** The run's counts as metrics: `usersCreated`, `schoolsDeleted`, ..., `badRows`. */
function countsOf(summary: SyncSummary): Record<string, number> {
  const counts: Record<string, number> = { badRows: summary.errorCount };
  for (const entity of ['users', 'schools', 'memberships'] as const) {
    for (const [change, value] of Object.entries(summary[entity])) {
      counts[`${entity}${change[0].toUpperCase()}${change.slice(1)}`] = value;
    }
  }
  return counts;
}

async function runAndReport(options: SyncOptions): Promise<SyncSummary> {
  const summary = await runRosterSync(options);
  const { errors, ...headline } = summary;
  logger.info('roster sync', { ...headline, firstErrors: errors.slice(0, 20) });
  if (summary.status !== 'skipped') {
    publishSyncRun({ failed: summary.status === 'failed', durationMs: summary.durationMs, counts: countsOf(summary) });
  }
  return summary;
}

/**
 * The queue's messages, one district's run each (the mapping hands over one at a time; more are run in
 * turn). A run that ends with any status (succeeded, refused, failed on its input, skipped) is done: its
 * message is deleted. Only a message whose run could not happen (the database out of reach) or whose
 * body is not a sync is reported as failed, so the queue offers it again and, after its retries, moves it
 * to the dead-letter queue; the other messages of the batch are not repeated.
 */
async function runQueued(messages: QueuedSync[]): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const message of messages) {
    try {
      await runAndReport(parseQueuedSync(message));
    } catch (error) {
      logger.error('queued roster sync not run', { messageId: message.messageId, error: error as Error });
      batchItemFailures.push({ itemIdentifier: message.messageId });
    }
  }
  return { batchItemFailures };
}

/**
 * The OneRoster sync (docs/roster-sync.md, docs/districts.md): each district's scheduled run arrives as a
 * message of the sync queue (docs/decisions/0020-scheduling-districts.md); it is also invocable by hand
 * with `{"districtId", "source", "force"}`. Not on the HTTP API. A run returns its summary whatever its
 * status, so that retries never repeat a run that was refused or failed on its input; the run is in
 * roster_sync_runs, the log (redacted) and the SyncFailed metric the alarm watches. The run opens and
 * ends its own connection (shared/db/sync-connection.ts), so the function holds none between runs and
 * needs no pool lifecycle.
 */
export const handler = middy<unknown, SyncSummary | SQSBatchResponse>(async (event: unknown) => {
  const messages = queuedSyncs(event);
  return messages ? runQueued(messages) : runAndReport(parseSyncEvent(event));
});
