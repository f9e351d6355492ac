import { createIndexesConcurrently, dropIndexesConcurrently, type IndexDefinition, type Migration } from './types';

/**
 * The OneRoster read endpoints (docs/oneroster.md), decision 0021:
 * - a membership change moves its user's `updatedAt`, OneRoster's `dateLastModified`, so that a delta pull
 *   on /users sees a role change and a removal. One statement-level trigger on user_schools does it for
 *   every path that writes links (the API, the roster sync, deletes, erasure, foreign-key cascades),
 *   set-based from the statement's transition tables: one UPDATE per statement, not one per row. A user
 *   whose `updatedAt` is already this transaction's is left alone, so a sync that creates a user and their
 *   links writes the user row once.
 * - the indexes of delta pulls: `GREATEST("updatedAt", "deletedAt")` is `dateLastModified` (a soft delete
 *   moves it whichever path made it), with the sourcedId as the tiebreaker of its sort.
 *
 * The trigger and its function in one transaction; the indexes CONCURRENTLY, one statement each (it cannot
 * run inside a transaction), as in 0002 and 0006: the migrate function runs beside the live service.
 */
const INDEXES: IndexDefinition[] = [
  ['users_date_last_modified_idx', `users ((GREATEST("updatedAt", "deletedAt")), "userId")`],
  ['schools_date_last_modified_idx', `schools ((GREATEST("updatedAt", "deletedAt")), "schoolId")`],
];

const touch = (ids: string) => `
      UPDATE users u SET "updatedAt" = now()
      FROM (SELECT "userId" FROM users WHERE "userId" IN (${ids}) AND "updatedAt" < now() ORDER BY "userId" FOR NO KEY UPDATE) c
      WHERE u."userId" = c."userId" AND u."updatedAt" < now();`;

/** An UPDATE of links changes a user only when its role, user or school changed. */
const CHANGED = `FROM new_links n JOIN old_links o USING ("userSchoolId")
        WHERE (n.role, n."userUserId", n."schoolSchoolId") IS DISTINCT FROM (o.role, o."userUserId", o."schoolSchoolId")`;

// The users are locked in userId order, as the roster sync locks them (shared/roster/apply.ts), so that two
// statements touching the same users wait for each other instead of deadlocking.
const TOUCH_USERS = `
  CREATE OR REPLACE FUNCTION user_schools_touch_users() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF TG_OP = 'INSERT' THEN${touch('SELECT "userUserId" FROM new_links')}
    ELSIF TG_OP = 'DELETE' THEN${touch('SELECT "userUserId" FROM old_links')}
    ELSE${touch(`SELECT n."userUserId" ${CHANGED} UNION SELECT o."userUserId" ${CHANGED}`)}
    END IF;
    RETURN NULL;
  END
  $$;
  -- Dropped first: an up that failed at an index and runs again finds the triggers there.
  DROP TRIGGER IF EXISTS user_schools_touch_users_insert ON user_schools;
  DROP TRIGGER IF EXISTS user_schools_touch_users_update ON user_schools;
  DROP TRIGGER IF EXISTS user_schools_touch_users_delete ON user_schools;
  CREATE TRIGGER user_schools_touch_users_insert AFTER INSERT ON user_schools
    REFERENCING NEW TABLE AS new_links FOR EACH STATEMENT EXECUTE FUNCTION user_schools_touch_users();
  CREATE TRIGGER user_schools_touch_users_update AFTER UPDATE ON user_schools
    REFERENCING OLD TABLE AS old_links NEW TABLE AS new_links FOR EACH STATEMENT EXECUTE FUNCTION user_schools_touch_users();
  CREATE TRIGGER user_schools_touch_users_delete AFTER DELETE ON user_schools
    REFERENCING OLD TABLE AS old_links FOR EACH STATEMENT EXECUTE FUNCTION user_schools_touch_users();
`;

export const addOneRoster: Migration = {
  name: '0009-oneroster',
  async up({ context: sequelize }) {
    await sequelize.transaction(async (transaction) => {
      await sequelize.query(TOUCH_USERS, { transaction });
    });
    await createIndexesConcurrently(sequelize, INDEXES);
  },
  async down({ context: sequelize }) {
    await dropIndexesConcurrently(sequelize, INDEXES);
    await sequelize.query(`
      DROP TRIGGER IF EXISTS user_schools_touch_users_delete ON user_schools;
      DROP TRIGGER IF EXISTS user_schools_touch_users_update ON user_schools;
      DROP TRIGGER IF EXISTS user_schools_touch_users_insert ON user_schools;
      DROP FUNCTION IF EXISTS user_schools_touch_users();
    `);
  },
};
