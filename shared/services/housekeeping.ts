import { QueryTypes } from 'sequelize';
import { insertEventsSql } from '../changes/events';
import { pruneChanges, scrubEntityEvents } from '../changes/retention';
import { changeTransaction } from '../changes/transaction';
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

type HousekeepingTask = 'idempotencyKeys' | 'users' | 'schools' | 'syncRuns' | 'changes';

/** The change events' actor of housekeeping (docs/change-feed.md): kind `housekeeping`, no id. */
const ACTOR_SQL = `'housekeeping'::varchar, NULL::varchar`;

/**
 * Erasure of a batch of soft-deleted users or schools as DELETE ?erase=true does it, in one statement: the
 * rows, the memberships still naming them (explicitly, so that each has its `membership.deleted` event;
 * the cascade then finds none), and the `*.erased` events. The erased ids come back for the scrub.
 */
function eraseSql(kind: 'user' | 'school', table: string, id: string, membershipColumn: string): string {
  const erasedEvents = insertEventsSql({ from: 'erased', kind, type: `${kind}.erased`, actor: ACTOR_SQL });
  const membershipEvents = insertEventsSql({ from: 'removed', kind: 'membership', type: 'membership.deleted', actor: ACTOR_SQL });
  return `WITH erased AS (
            DELETE FROM ${table} WHERE "${id}" IN (
              SELECT "${id}" FROM ${table} WHERE "deletedAt" < now() - make_interval(days => $2)
              ORDER BY "deletedAt" LIMIT $1 FOR UPDATE SKIP LOCKED)
            RETURNING "${id}"),
          removed AS (DELETE FROM user_schools m USING erased e WHERE m."${membershipColumn}" = e."${id}" RETURNING m.*),
          membership_events AS (${membershipEvents}),
          erased_events AS (${erasedEvents})
          SELECT "${id}" AS "id" FROM erased`;
}

/**
 * What each task deletes, oldest first, at most $1 rows a statement, skipping rows another transaction
 * holds (SKIP LOCKED): a user being linked, a run being written. $2 is the retention in days. Expired
 * Idempotency-Keys go first: they may hold a copy of a record erased after them (RETENTION_DAYS is at
 * least one day, the keys' lifetime).
 */
const TASKS: Record<Exclude<HousekeepingTask, 'changes'>, { days: () => number; sql: string; erases?: 'user' | 'school' }> = {
  idempotencyKeys: {
    days: () => 0,
    sql: `DELETE FROM idempotency_keys WHERE ("scope", "key") IN (
            SELECT "scope", "key" FROM idempotency_keys WHERE "expiresAt" <= now() - make_interval(days => $2)
            ORDER BY "expiresAt" LIMIT $1 FOR UPDATE SKIP LOCKED)
          RETURNING "key"`,
  },
  // Erasure as DELETE ?erase=true does it: the row, its memberships and events, and by ON DELETE CASCADE
  // whatever else still names it.
  users: { days: () => config.retention.deletedRecordDays, sql: eraseSql('user', 'users', 'userId', 'userUserId'), erases: 'user' },
  schools: { days: () => config.retention.deletedRecordDays, sql: eraseSql('school', 'schools', 'schoolId', 'schoolSchoolId'), erases: 'school' },
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

/**
 * One batch of `task`, in its own change transaction: an erasure's events commit with it, and the erased
 * records' earlier events are scrubbed in it. `more` says whether the task may have rows left.
 */
async function runBatch(task: HousekeepingTask, batchSize: number): Promise<{ removed: number; more: boolean }> {
  if (task === 'changes') {
    // One retention batch of the feed (docs/change-feed.md#retention-and-erasure): one commit's events, at most batchSize.
    const pruned = await pruneChanges({ maxBatches: 1, batch: batchSize });
    return { removed: pruned.events, more: pruned.events + pruned.commits > 0 };
  }
  const { sql, days, erases } = TASKS[task];
  const sequelize = getSequelize();
  return changeTransaction(async (transaction) => {
    const rows = await sequelize.query<{ id: string }>(sql, { bind: [batchSize, days()], type: QueryTypes.SELECT, transaction });
    if (erases && rows.length > 0) {
      await scrubEntityEvents(
        erases,
        rows.map((row) => row.id),
        { transaction },
      );
    }
    return { removed: rows.length, more: rows.length === batchSize };
  });
}

const gaveUp = (error: unknown) => GAVE_UP.has((error as { parent?: { code?: string } }).parent?.code ?? '');

/**
 * Retention (docs/lifecycle.md#housekeeping-retention): erases users and schools soft-deleted more than RETENTION_DAYS ago, deletes sync
 * runs older than SYNC_RUN_RETENTION_DAYS, expired Idempotency-Keys and change events older than
 * CHANGES_RETENTION_DAYS (last: the feed's own retention), in batches of at most
 * `batchSize` rows, each its own short transaction that skips locked rows.
 */
export async function runHousekeeping(options: HousekeepingOptions = {}): Promise<HousekeepingResult> {
  const batchSize = options.batchSize ?? HOUSEKEEPING_BATCH_SIZE;
  const result: HousekeepingResult = {
    removed: { idempotencyKeys: 0, users: 0, schools: 0, syncRuns: 0, changes: 0 },
    batches: 0,
    largestBatch: 0,
    complete: true,
  };
  for (const task of [...Object.keys(TASKS), 'changes'] as HousekeepingTask[]) {
    for (;;) {
      if (options.deadline !== undefined && Date.now() >= options.deadline) {
        result.complete = false;
        return result;
      }
      let removed: number;
      let more: boolean;
      try {
        ({ removed, more } = await runBatch(task, batchSize));
      } catch (error) {
        if (!gaveUp(error)) throw error;
        logger.warn('housekeeping batch gave up: it waited on a lock past the statement timeout', { task });
        result.complete = false;
        break;
      }
      result.batches++;
      result.removed[task] += removed;
      result.largestBatch = Math.max(result.largestBatch, removed);
      if (!more) break;
    }
  }
  return result;
}
