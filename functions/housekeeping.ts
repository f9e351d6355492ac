import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { databaseLifecycle } from '../shared/http/database';
import { logger } from '../shared/logger';
import { runHousekeeping, type HousekeepingResult } from '../shared/services/housekeeping';

/** Time kept back from the function's timeout: no batch starts later, so none is cut off mid-way. */
const STOP_BEFORE_TIMEOUT_MS = 30_000;

/**
 * The scheduled retention run (docs/lifecycle.md#housekeeping-retention). Not on the HTTP API. What a run leaves (a deadline, a lock) the
 * next run removes: every batch is complete in itself.
 */
export const handler = middy<unknown, HousekeepingResult>(async (_event: unknown, context: Context) => {
  const result = await runHousekeeping({ deadline: Date.now() + context.getRemainingTimeInMillis() - STOP_BEFORE_TIMEOUT_MS });
  logger.info('housekeeping', { ...result });
  return result;
}).use(databaseLifecycle<unknown, HousekeepingResult>());
