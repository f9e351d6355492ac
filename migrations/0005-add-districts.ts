import type { Sequelize, Transaction } from 'sequelize';
import type { Migration } from './types';

/**
 * Many districts in one deployment (docs/districts.md). A district is a roster source; every roster record
 * belongs to one:
 * - a school to exactly one (`schools.districtId`, `sourcedId` unique within it);
 * - a user holds one roster identity per district (`user_roster_identities`, `(districtId, sourcedId)`
 *   unique); an identity the district's roster no longer lists is released (`releasedAt`), not deleted,
 *   so that a person who comes back is the same user; the held identity with the earliest `heldSince`
 *   names the district whose roster supplies the person's fields;
 * - a roster link to the district whose roster made it (`user_schools.districtId`);
 * - a sync run to the district it synced.
 * `users.source` says who made the user (`api` or `roster`): a user made through the API is never
 * soft-deleted by a roster, even after a district adopted and then released them. `users.sourcedId` stays
 * (docs/data-model.md, and code written against the original models reads it): it is the identity of the district
 * that supplies the fields, no longer unique, as two districts may both have a user `12345`.
 *
 * The upgrade puts every existing roster record into one district whose `rosterSource` is ROSTER_SOURCE,
 * so an existing deployment keeps syncing with no manual step. It runs in one transaction: a failure
 * leaves the previous schema as it was.
 */
export const addDistricts: Migration = {
  name: '0005-add-districts',
  async up({ context: sequelize }) {
    await sequelize.transaction(async (transaction) => {
      await sequelize.query(
        `
        CREATE TABLE districts (
          "districtId"     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
          "name"           varchar(255) NOT NULL CHECK (btrim("name") <> ''),
          "rosterSource"   varchar(2048),
          "syncSchedule"   varchar(256),
          "maxDeleteRatio" double precision CHECK ("maxDeleteRatio" BETWEEN 0 AND 1),
          "enabled"        boolean NOT NULL DEFAULT true,
          "createdAt"      timestamptz NOT NULL DEFAULT now(),
          "updatedAt"      timestamptz NOT NULL DEFAULT now()
        );

        ALTER TABLE users ADD COLUMN "source" varchar(16) NOT NULL DEFAULT 'api' CHECK ("source" IN ('api', 'roster'));
        DROP INDEX users_sourced_id_key;

        CREATE TABLE user_roster_identities (
          "districtId" uuid NOT NULL REFERENCES districts ("districtId") ON DELETE CASCADE,
          "sourcedId"  varchar(255) NOT NULL,
          "userId"     uuid NOT NULL REFERENCES users ("userId") ON DELETE CASCADE,
          "createdAt"  timestamptz NOT NULL DEFAULT now(),
          "heldSince"  timestamptz NOT NULL DEFAULT now(),
          "releasedAt" timestamptz,
          PRIMARY KEY ("districtId", "sourcedId"),
          -- One identity per person per district; also serves "the identities of a user".
          CONSTRAINT user_roster_identities_user_district_key UNIQUE ("userId", "districtId")
        );

        -- A district may be deleted once it holds no live record: its soft-deleted schools then keep
        -- their row (until housekeeping erases them) without a district.
        ALTER TABLE schools ADD COLUMN "districtId" uuid REFERENCES districts ("districtId") ON DELETE SET NULL;
        DROP INDEX schools_sourced_id_key;
        CREATE UNIQUE INDEX schools_district_sourced_id_key ON schools ("districtId", "sourcedId");

        ALTER TABLE user_schools
          ADD COLUMN "districtId" uuid REFERENCES districts ("districtId"),
          ADD CONSTRAINT user_schools_district_is_roster CHECK ("districtId" IS NULL OR "source" = 'roster');
        -- Serves a district's bulk removal of its own links.
        CREATE INDEX user_schools_district_idx ON user_schools ("districtId") WHERE "districtId" IS NOT NULL;

        ALTER TABLE roster_sync_runs ADD COLUMN "districtId" uuid REFERENCES districts ("districtId") ON DELETE CASCADE;
        -- Serves a district's runs, newest first (keyset).
        CREATE INDEX roster_sync_runs_district_idx ON roster_sync_runs ("districtId", "startedAt" DESC, "id" DESC);
      `,
        { transaction },
      );
      await moveRosterIntoDistrict(sequelize, transaction);
    });
  },
  async down({ context: sequelize }) {
    await sequelize.transaction(async (transaction) => {
      const [[held]] = (await sequelize.query(
        `SELECT count(DISTINCT d) AS n FROM (
           SELECT "districtId" AS d FROM user_roster_identities UNION ALL SELECT "districtId" FROM schools WHERE "districtId" IS NOT NULL
         ) x`,
        { transaction },
      )) as [Array<{ n: string }>, unknown];
      if (Number(held.n) > 1) {
        throw new Error(
          'Cannot revert 0005-add-districts: the roster records of several districts do not fit the single-district schema (sourcedIds may collide). Remove all but one district first.',
        );
      }
      await sequelize.query(
        `
        -- The previous schema knows a roster user by their sourcedId: the one district's identity.
        UPDATE users u SET "sourcedId" = i."sourcedId" FROM user_roster_identities i
        WHERE i."userId" = u."userId" AND (i."releasedAt" IS NULL OR u."deletedAt" IS NOT NULL)
          AND u."sourcedId" IS DISTINCT FROM i."sourcedId";
        DROP TABLE user_roster_identities;
        ALTER TABLE users DROP COLUMN "source";
        CREATE UNIQUE INDEX users_sourced_id_key ON users ("sourcedId");
        DROP INDEX schools_district_sourced_id_key;
        ALTER TABLE schools DROP COLUMN "districtId";
        CREATE UNIQUE INDEX schools_sourced_id_key ON schools ("sourcedId");
        ALTER TABLE user_schools DROP COLUMN "districtId";
        ALTER TABLE roster_sync_runs DROP COLUMN "districtId";
        DROP TABLE districts;
      `,
        { transaction },
      );
    });
  },
};

/**
 * The upgrade of a single-district deployment: when it holds roster records, one district is made with
 * ROSTER_SOURCE as its source, and every roster user, school, link and run becomes that district's. A
 * deployment without any gets no district here: its first sync makes one the same way
 * (shared/roster/districts.ts).
 */
async function moveRosterIntoDistrict(sequelize: Sequelize, transaction: Transaction): Promise<void> {
  const [[existing]] = (await sequelize.query(
    `SELECT EXISTS (SELECT 1 FROM users WHERE "sourcedId" IS NOT NULL)
         OR EXISTS (SELECT 1 FROM schools WHERE "sourcedId" IS NOT NULL)
         OR EXISTS (SELECT 1 FROM user_schools WHERE source = 'roster') AS "any"`,
    { transaction },
  )) as [Array<{ any: boolean }>, unknown];
  if (!existing.any) return;
  // Loaded only here: building an empty database (the tests' template) needs no service configuration.
  const { config } = require('../shared/config') as typeof import('../shared/config');
  const [[district]] = (await sequelize.query(`INSERT INTO districts (name, "rosterSource") VALUES ($1, $2) RETURNING "districtId"`, {
    bind: [`Roster of the ${config.stage} deployment`, config.roster.source ?? null],
    transaction,
  })) as [Array<{ districtId: string }>, unknown];
  await sequelize.query(`UPDATE users SET source = 'roster' WHERE "sourcedId" IS NOT NULL`, { transaction });
  // A soft-deleted roster user is a released identity: the previous schema restored them when they came back.
  await sequelize.query(
    `INSERT INTO user_roster_identities ("districtId", "sourcedId", "userId", "createdAt", "heldSince", "releasedAt")
     SELECT $1, "sourcedId", "userId", "createdAt", "createdAt", "deletedAt" FROM users WHERE "sourcedId" IS NOT NULL`,
    { bind: [district.districtId], transaction },
  );
  await sequelize.query(`UPDATE schools SET "districtId" = $1 WHERE "sourcedId" IS NOT NULL`, { bind: [district.districtId], transaction });
  await sequelize.query(`UPDATE user_schools SET "districtId" = $1 WHERE source = 'roster'`, { bind: [district.districtId], transaction });
  await sequelize.query(`UPDATE roster_sync_runs SET "districtId" = $1`, { bind: [district.districtId], transaction });
}
