import { QueryTypes } from 'sequelize';
import { getSequelize } from '../db/sequelize';
import { GoneError } from '../errors';
import type { ChangeEventDto, ChangePage, FeedCursor } from '../schemas';
import { encodeFeedCursor } from '../schemas';
import type { ActorKind, EntityKind, EventType } from './events';

interface EventRow {
  stale: boolean;
  startPosition: string;
  startEventId: string;
  position: string | null;
  id: string | null;
  type: EventType;
  committedAt: Date;
  actorKind: ActorKind;
  actorId: string | null;
  entityKind: EntityKind;
  entityId: string;
  userId: string | null;
  schoolId: string | null;
  data: Record<string, unknown> | null;
}

/**
 * One page of the feed in (position, id) order after `$1, $2` (or after the retention watermark), in one
 * statement so that the watermark and the page come from the same snapshot. Keyset at both levels: at
 * most limit + 1 commits from the index on change_commits(position), and for each at most `limit`
 * events from the index on change_events(txid, id), so a page deep in the feed, or deep inside one large
 * transaction (a roster sync's), costs what the first page costs. limit + 1 commits always hold a full
 * page: every sealed commit has at least one event, and only the first may have been read already.
 * Exported for bench/changes.ts, which reads its plan.
 */
export const PAGE_SQL = `
  WITH start AS (
    SELECT COALESCE($1::bigint, w."prunedPosition") AS p, COALESCE($2::bigint, w."prunedEventId") AS e,
           COALESCE(($1::bigint, $2::bigint) < (w."prunedPosition", w."prunedEventId"), false) AS stale
    FROM change_feed_state w
  )
  SELECT s.stale, s.p AS "startPosition", s.e AS "startEventId", f.*
  FROM start s LEFT JOIN LATERAL (
    SELECT c."position", c."committedAt", e."id", e."type", e."actorKind", e."actorId", e."entityKind", e."entityId",
           e."userId", e."schoolId", e."data"
    FROM (SELECT cc."position", cc."txid", cc."committedAt" FROM change_commits cc
          WHERE cc."position" >= s.p ORDER BY cc."position" LIMIT $3::int + 1) c
    CROSS JOIN LATERAL (
      SELECT * FROM change_events ev
      WHERE ev."txid" = c."txid" AND (c."position" > s.p OR ev."id" > s.e)
      ORDER BY ev."id" LIMIT $3::int) e
    WHERE NOT s.stale
    ORDER BY c."position", e."id"
    LIMIT $3::int
  ) f ON true
  ORDER BY f."position", f."id"`;

function toEventDto(row: EventRow): ChangeEventDto {
  const membership = row.entityKind === 'membership' ? { userId: row.userId, schoolId: row.schoolId } : {};
  return {
    id: String(row.id),
    type: row.type,
    // When the change became visible: the feed's order, so occurredAt never goes back along a walk.
    occurredAt: row.committedAt.toISOString(),
    actor: { kind: row.actorKind, id: row.actorId },
    entity: { kind: row.entityKind, id: row.entityId, ...membership },
    data: row.data,
  };
}

/** A page of the feed, plus the cursor of each item (for webhook delivery, which moves one event at a time). */
export interface FeedPage extends ChangePage {
  cursors: FeedCursor[];
}

/**
 * The events committed after `after` (from the oldest retained when absent), oldest first (docs/change-feed.md).
 * `nextCursor` is never null: on an empty page it is where the walk stands.
 * @throws GoneError when `after` is older than what retention keeps
 */
export async function readChanges(input: { after?: FeedCursor; limit: number }): Promise<FeedPage> {
  const rows = await getSequelize().query<EventRow>(PAGE_SQL, {
    bind: [input.after?.position ?? null, input.after?.eventId ?? null, input.limit],
    type: QueryTypes.SELECT,
  });
  const [first] = rows;
  if (first.stale) throw new GoneError('This cursor is older than the events kept (CHANGES_RETENTION_DAYS): walk the lists again, then follow the feed from a new cursor.');
  const events = rows.filter((row) => row.id !== null);
  const cursors = events.map((row) => ({ position: String(row.position), eventId: String(row.id) }));
  const last = cursors.at(-1) ?? { position: String(first.startPosition), eventId: String(first.startEventId) };
  return { items: events.map(toEventDto), nextCursor: encodeFeedCursor(last), cursors };
}
