import middy from '@middy/core';
import { databaseLifecycle } from '../shared/http/database';
import { logger } from '../shared/logger';
import { claimDueSyncs, type DueSync } from '../shared/roster/dispatch';

/**
 * The scheduler's first step (docs/decisions/0020-scheduling-districts.md): run every few minutes by the
 * sync fan-out state machine, it claims the districts whose schedule has come and returns them; the
 * state machine sends each to the sync queue, whose event source mapping runs them at most
 * ROSTER_SYNC_CONCURRENCY at once, each in its own invocation of `sync`. Not on the HTTP API.
 */
export const handler = middy<unknown, { syncs: DueSync[] }>(async () => {
  const syncs = await claimDueSyncs();
  logger.info('sync dispatch', { due: syncs.length });
  return { syncs };
}).use(databaseLifecycle<unknown, { syncs: DueSync[] }>());
