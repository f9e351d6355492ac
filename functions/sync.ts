import middy from '@middy/core';
import { databaseLifecycle } from '../shared/http/database';
import { parseSyncEvent } from '../shared/roster/event';
import { runRosterSync } from '../shared/roster/sync';
import type { SyncSummary } from '../shared/roster/types';

/**
 * The scheduled OneRoster sync (SPEC §5), also invocable by hand with `{"source", "force"}`. Not on the
 * HTTP API. It returns the run's summary whatever its status, so that the schedule's automatic retries
 * never repeat a run that was refused or failed on its input; the run is in roster_sync_runs and the log.
 */
export const handler = middy<unknown, SyncSummary>(async (event: unknown) => {
  const summary = await runRosterSync(parseSyncEvent(event));
  const { errors, ...headline } = summary;
  console.log(JSON.stringify({ message: 'roster sync', ...headline, firstErrors: errors.slice(0, 20) }));
  return summary;
}).use(databaseLifecycle<unknown, SyncSummary>());
