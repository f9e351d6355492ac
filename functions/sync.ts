import middy from '@middy/core';
import { logger } from '../shared/logger';
import { publishSyncRun } from '../shared/metrics';
import { parseSyncEvent } from '../shared/roster/event';
import { runRosterSync } from '../shared/roster/sync';
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

/**
 * The scheduled OneRoster sync (SPEC §5), also invocable by hand with `{"source", "force"}`. Not on the
 * HTTP API. It returns the run's summary whatever its status, so that the schedule's automatic retries
 * never repeat a run that was refused or failed on its input; the run is in roster_sync_runs, the log
 * (redacted) and the SyncFailed metric the alarm watches. The run opens and ends its own connection
 * (shared/db/sync-connection.ts), so the function holds none between runs and needs no pool lifecycle.
 */
export const handler = middy<unknown, SyncSummary>(async (event: unknown) => {
  const summary = await runRosterSync(parseSyncEvent(event));
  const { errors, ...headline } = summary;
  logger.info('roster sync', { ...headline, firstErrors: errors.slice(0, 20) });
  if (summary.status !== 'skipped') {
    publishSyncRun({ failed: summary.status === 'failed', durationMs: summary.durationMs, counts: countsOf(summary) });
  }
  return summary;
});
