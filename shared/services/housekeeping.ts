import { QueryTypes } from 'sequelize';
import { config } from '../config';
import { getSequelize } from '../db/sequelize';
import { logger } from '../logger';

/** Rows one statement removes at most: a batch commits in milliseconds, so nothing the API needs waits long. */
export const HOUSEKEEPING_BATCH_SIZE = 1000;

/**
 * A batch that waits for a lock it could not skip (a cascade reaching a link a roster sync is rewriting)
 * is cut off by the connection's statement_timeout (DB_STATEMENT_TIMEOUT_MS, 5 s; a batch takes well under
 * 100 ms) and gives up, rather than hold its own locks; the next run tries again. No `SET lock_timeout`:
 * it would pin an RDS Proxy connection (docs/decisions/0007-no-session-state.md).
 */
const GAVE_UP = new Set(['55P03', '57014']); // lock_not_available, query_canceled

type HousekeepingTask = 'idempotencyKeys' | 'users' | 'schools' | 'syncRuns';

/**
 * What each task deletes, oldest first, at most $1 rows a statement, skipping rows another transaction
 * holds (SKIP LOCKED): a user being linked, a run being written. $2 is the retention in days. Expired
 * Idempotency-Keys go first: they may hold a copy of a record erased after them (RETENTION_DAYS is at
 * least one day, the keys' lifetime).
 */
const TASKS: Record<HousekeepingTask, { days: () => number; sql: string }> = {
  idempotencyKeys: {
    days: () => 0,
    sql: `DELETE FROM idempotency_keys WHERE ("scope", "key") IN (
            SELECT "scope", "key" FROM idempotency_keys WHERE "expiresAt" <= now() - make_interval(days => $2)
            ORDER BY "expiresAt" LIMIT $1 FOR UPDATE SKIP LOCKED)
          RETURNING "key"`,
  },
  // Erasure as DELETE ?erase=true does it: the row, and by ON DELETE CASCADE whatever still names it.
  users: {
    days: () => config.retention.deletedRecordDays,
    sql: `DELETE FROM users WHERE "userId" IN (
            SELECT "userId" FROM users WHERE "deletedAt" < now() - make_interval(days => $2)
            ORDER BY "deletedAt" LIMIT $1 FOR UPDATE SKIP LOCKED)
          RETURNING "userId"`,
  },
  schools: {
    days: () => config.retention.deletedRecordDays,
    sql: `DELETE FROM schools WHERE "schoolId" IN (
            SELECT "schoolId" FROM schools WHERE "deletedAt" < now() - make_interval(days => $2)
            ORDER BY "deletedAt" LIMIT $1 FOR UPDATE SKIP LOCKED)
          RETURNING "schoolId"`,
  },
  syncRuns: {
    days: () => config.retention.syncRunDays,
    sql: `DELETE FROM roster_sync_runs WHERE "id" IN (
            SELECT "id" FROM roster_sync_runs WHERE "startedAt" < now() - make_interval(days => $2)
            ORDER BY "startedAt" LIMIT $1 FOR UPDATE SKIP LOCKED)
          RETURNING "id"`,
  },
};

export interface HousekeepingOptions {
  /** Rows a statement removes at most; HOUSEKEEPING_BATCH_SIZE by default. */
  batchSize?: number;
  /** No batch starts after this time (epoch ms): the scheduled function stops well before its timeout. */
  deadline?: number;
}

export interface HousekeepingResult {
  /** Rows removed per task. */
  removed: Record<HousekeepingTask, number>;
  /** Statements run, and the most rows one of them removed (never more than the batch size). */
  batches: number;
  largestBatch: number;
  /** False when the deadline or a lock stopped a task with rows left: the next run goes on. */
  complete: boolean;
}

/** One batch of `task`, in its own transaction: the place where issue 12's change events join the erasure. */
async function runBatch(task: HousekeepingTask, batchSize: number): Promise<number> {
  const sequelize = getSequelize();
  return sequelize.transaction(async (transaction) => {
    const rows = await sequelize.query(TASKS[task].sql, { bind: [batchSize, TASKS[task].days()], type: QueryTypes.SELECT, transaction });
    return rows.length;
  });
}

const gaveUp = (error: unknown) => GAVE_UP.has((error as { parent?: { code?: string } }).parent?.code ?? '');

/**
 * Retention (docs/lifecycle.md#housekeeping-retention): erases users and schools soft-deleted more than RETENTION_DAYS ago, deletes sync
 * runs older than SYNC_RUN_RETENTION_DAYS and expired Idempotency-Keys, in batches of at most
 * `batchSize` rows, each its own short transaction that skips locked rows.
 */
export async function runHousekeeping(options: HousekeepingOptions = {}): Promise<HousekeepingResult> {
  const batchSize = options.batchSize ?? HOUSEKEEPING_BATCH_SIZE;
  const result: HousekeepingResult = { removed: { idempotencyKeys: 0, users: 0, schools: 0, syncRuns: 0 }, batches: 0, largestBatch: 0, complete: true };
  for (const task of Object.keys(TASKS) as HousekeepingTask[]) {
    for (;;) {
      if (options.deadline !== undefined && Date.now() >= options.deadline) {
        result.complete = false;
        return result;
      }
      let removed: number;
      try {
        removed = await runBatch(task, batchSize);
      } catch (error) {
        if (!gaveUp(error)) throw error;
        logger.warn('housekeeping batch gave up: it waited on a lock past the statement timeout', { task });
        result.complete = false;
        break;
      }
      result.batches++;
      result.removed[task] += removed;
      result.largestBatch = Math.max(result.largestBatch, removed);
      if (removed < batchSize) break;
    }
  }
  return result;
}
