import type { Migration } from './types';

/**
 * The change feed (docs/change-feed.md): every writing transaction inserts its events into
 * change_events with its own transaction id, and as its last statement seals them with one
 * change_commits row whose `position` is taken under an advisory lock held through COMMIT, so positions
 * follow commit order. The feed is read as keyset (position, id) over the two tables.
 *
 * change_feed_state holds the retention watermark: the (position, id) of the last event retention
 * removed, so that a cursor below it is told 410 instead of silently skipping what was removed.
 *
 * Webhook subscriptions keep their own cursor in the feed and their delivery state (docs/change-feed.md).
 */
export const createChangeFeed: Migration = {
  name: '0008-create-change-feed',
  async up({ context: sequelize }) {
    await sequelize.query(`
      CREATE TABLE change_events (
        "id"           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        "txid"         xid8 NOT NULL DEFAULT pg_current_xact_id(),
        "type"         varchar(32) NOT NULL,
        "actorKind"    varchar(16) NOT NULL CHECK ("actorKind" IN ('api', 'roster', 'housekeeping')),
        "actorId"      varchar(255),
        "entityKind"   varchar(16) NOT NULL CHECK ("entityKind" IN ('user', 'school', 'membership')),
        "entityId"     uuid NOT NULL,
        -- A membership's user and school, so that its deletion (data null) still says which link ended.
        "userId"       uuid,
        "schoolId"     uuid,
        "data"         jsonb
      );
      -- The feed reads one transaction's events in id order; erasure finds an entity's events, and a
      -- person's membership events (whose data names them).
      CREATE INDEX change_events_txid_id_idx ON change_events ("txid", "id");
      CREATE INDEX change_events_entity_idx ON change_events ("entityId");
      CREATE INDEX change_events_user_idx ON change_events ("userId") WHERE "userId" IS NOT NULL;

      CREATE TABLE change_commits (
        "txid"        xid8 PRIMARY KEY,
        "position"    bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        "committedAt" timestamptz NOT NULL DEFAULT clock_timestamp()
      );

      CREATE TABLE change_feed_state (
        "singleton"      boolean PRIMARY KEY DEFAULT true CHECK ("singleton"),
        "prunedPosition" bigint NOT NULL DEFAULT 0,
        "prunedEventId"  bigint NOT NULL DEFAULT 0
      );
      INSERT INTO change_feed_state DEFAULT VALUES;

      CREATE TABLE webhooks (
        "webhookId"       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        "url"             varchar(2048) NOT NULL,
        "types"           varchar(32)[],
        "secret"          bytea NOT NULL,
        "createdAt"       timestamptz NOT NULL DEFAULT now(),
        "cursorPosition"  bigint NOT NULL,
        "cursorEventId"   bigint NOT NULL,
        "attempts"        integer NOT NULL DEFAULT 0,
        "nextAttemptAt"   timestamptz NOT NULL DEFAULT now(),
        "failingSince"    timestamptz,
        "lastError"       varchar(255),
        "leasedUntil"     timestamptz,
        "leaseId"         uuid,
        "disabledAt"      timestamptz
      );
      -- The deliver function leases the subscriptions that are due.
      CREATE INDEX webhooks_due_idx ON webhooks ("nextAttemptAt") WHERE "disabledAt" IS NULL;
    `);
  },
  async down({ context: sequelize }) {
    await sequelize.query('DROP TABLE webhooks; DROP TABLE change_feed_state; DROP TABLE change_commits; DROP TABLE change_events;');
  },
};
