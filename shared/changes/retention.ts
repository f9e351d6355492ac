import { QueryTypes, type Transaction } from 'sequelize';
import { config } from '../config';
import { getSequelize } from '../db/sequelize';

/** Events one retention batch removes: a short transaction that never holds the API up. */
const PRUNE_BATCH = 5000;

/**
 * One batch: up to `batch` events of the oldest commit older than the cutoff, in id order, and the
 * retention watermark moved to the last of them, in one statement (the feed's 410 reads the watermark
 * in the snapshot it reads events in). A large commit (a roster sync's) takes several batches; the
 * watermark then points inside it, and a cursor before it is stale.
 */
const PRUNE_EVENTS_SQL = `
  WITH oldest AS (
    SELECT "position", "txid" FROM change_commits WHERE "committedAt" < $1 ORDER BY "position" LIMIT 1 FOR UPDATE SKIP LOCKED
  ), deleted AS (
    DELETE FROM change_events WHERE "id" IN (
      SELECT e."id" FROM oldest o CROSS JOIN LATERAL (
        SELECT "id" FROM change_events WHERE "txid" = o."txid" ORDER BY "id" LIMIT $2) e)
    RETURNING "id"
  ), marked AS (
    UPDATE change_feed_state SET "prunedPosition" = o."position", "prunedEventId" = (SELECT max("id") FROM deleted)
    FROM oldest o WHERE EXISTS (SELECT 1 FROM deleted)
  )
  SELECT (SELECT "position" FROM oldest) AS "position", (SELECT count(*) FROM deleted)::int AS "events"`;

/** The commit row goes once its last event has (a later statement: the CTE above cannot see its own delete). */
const PRUNE_COMMIT_SQL = `
  WITH deleted AS (
    DELETE FROM change_commits c WHERE c."position" = $1 AND NOT EXISTS (SELECT 1 FROM change_events e WHERE e."txid" = c."txid") RETURNING 1)
  SELECT count(*)::int AS n FROM deleted`;

export interface PruneResult {
  events: number;
  commits: number;
}

/**
 * Removes change events older than CHANGES_RETENTION_DAYS (docs/change-feed.md), oldest first, in bounded
 * batches of their own transactions, for housekeeping to call. At most `maxBatches` batches per call.
 */
export async function pruneChanges(options: { now?: Date; maxBatches?: number; batch?: number } = {}): Promise<PruneResult> {
  const sequelize = getSequelize();
  const cutoff = new Date((options.now ?? new Date()).getTime() - config.changes.retentionDays * 86_400_000);
  const result: PruneResult = { events: 0, commits: 0 };
  for (let n = 0; n < (options.maxBatches ?? 100); n++) {
    const removed = await sequelize.transaction(async (transaction) => {
      const [batch] = await sequelize.query<{ position: string | null; events: number }>(PRUNE_EVENTS_SQL, {
        bind: [cutoff, options.batch ?? PRUNE_BATCH],
        type: QueryTypes.SELECT,
        transaction,
      });
      if (batch.position === null) return undefined;
      const [commits] = await sequelize.query<{ n: number }>(PRUNE_COMMIT_SQL, { bind: [batch.position], transaction, type: QueryTypes.SELECT });
      return { events: batch.events, commits: commits.n };
    });
    if (!removed) break;
    result.events += removed.events;
    result.commits += removed.commits;
  }
  return result;
}

/**
 * The erasure hook (docs/change-feed.md#retention-and-erasure): nulls the data of every earlier event of
 * the users or schools, which keep only their type and the entity's id, and for a user also of their
 * membership events (whose data holds their id). Runs in the erasure's transaction, so both commit
 * together; one statement for a whole housekeeping batch.
 */
export async function scrubEntityEvents(kind: 'user' | 'school', ids: readonly string[], options: { transaction?: Transaction } = {}): Promise<number> {
  const [scrubbed] = await getSequelize().query<{ n: number }>(
    `WITH scrubbed AS (
       UPDATE change_events SET "data" = NULL
       WHERE (("entityId" = ANY($1::uuid[]) AND "entityKind" = $2) OR ($2 = 'user' AND "userId" = ANY($1::uuid[]))) AND "data" IS NOT NULL RETURNING 1)
     SELECT count(*)::int AS n FROM scrubbed`,
    { bind: [ids, kind], transaction: options.transaction, type: QueryTypes.SELECT },
  );
  return scrubbed.n;
}
