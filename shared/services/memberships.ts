import { ForeignKeyConstraintError, QueryTypes } from 'sequelize';
import { actorBinds, insertEventsSql, type Actor } from '../changes/events';
import { withChanges } from '../changes/transaction';
import { toHttpError } from '../db/errors';
import { getSequelize } from '../db/sequelize';
import { NotFoundError } from '../errors';
import type { LinkSource, Role } from '../roles';
import type { LinkInput, MembershipDto } from '../schemas';

export interface LinkResult {
  /** True when this request created the link, false when it already existed. */
  created: boolean;
  membership: MembershipDto;
}

interface MembershipRow {
  userId: string;
  schoolId: string;
  role: Role;
  source: LinkSource;
  createdAt: Date;
  updatedAt: Date;
  inserted: boolean;
}

/**
 * The 404 for a request naming a user and a school, saying which one is missing or soft-deleted.
 * Runs only after the write already decided "nothing to do", to name the culprit.
 */
export async function missingUserOrSchool(ids: { userId?: string; schoolId?: string }): Promise<NotFoundError | undefined> {
  const [row] = await getSequelize().query<{ user: boolean; school: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM users WHERE "userId" = $1 AND "deletedAt" IS NULL) AS "user",
            EXISTS (SELECT 1 FROM schools WHERE "schoolId" = $2 AND "deletedAt" IS NULL) AS "school"`,
    { bind: [ids.userId ?? null, ids.schoolId ?? null], type: QueryTypes.SELECT },
  );
  if (ids.userId && !row.user) return new NotFoundError(`No user ${ids.userId}.`);
  if (ids.schoolId && !row.school) return new NotFoundError(`No school ${ids.schoolId}.`);
  return undefined;
}

/**
 * Links a user to a school, or changes the role of their link, in one statement that cannot race: the
 * unique pair and ON CONFLICT decide between insert and update, and `xmax = 0` tells which one happened.
 * Locking the user and school rows makes a concurrent soft delete wait for the link (or the link see the
 * delete and do nothing), so a soft-deleted record never gains a link. The user's lock is FOR NO KEY
 * UPDATE, not FOR SHARE: the link moves the user's `updatedAt` (migration 0009's trigger), and two links
 * of one user that both held a share lock would deadlock upgrading it. Without a role, a new
 * link takes the database default and an existing one keeps its role; an existing link keeps its
 * source and createdAt. The same statement writes `membership.created`, or `membership.updated` when
 * the role changed (only then does `updatedAt` move to this transaction's now()).
 * @throws NotFoundError when the user or the school is missing or soft-deleted
 */
export async function linkUserToSchool(schoolId: string, userId: string, input: LinkInput, actor: Actor): Promise<LinkResult> {
  const bind: unknown[] = [userId, schoolId];
  let roleColumn = '';
  let roleValue = '';
  let newRole = 'user_schools."role"';
  if (input.role) {
    bind.push(input.role);
    roleColumn = ', "role"';
    roleValue = `, $${bind.length}`;
    newRole = 'EXCLUDED."role"';
  }
  const sql = `
    WITH live AS (
      SELECT u."userId", s."schoolId"
      FROM users u CROSS JOIN schools s
      WHERE u."userId" = $1 AND u."deletedAt" IS NULL AND s."schoolId" = $2 AND s."deletedAt" IS NULL
      FOR NO KEY UPDATE OF u FOR SHARE OF s
    ), upserted AS (
      INSERT INTO user_schools ("userUserId", "schoolSchoolId", "source"${roleColumn})
      SELECT "userId", "schoolId", 'api'${roleValue} FROM live
      ON CONFLICT ("userUserId", "schoolSchoolId") DO UPDATE
        SET "role" = ${newRole},
            "updatedAt" = CASE WHEN user_schools."role" = ${newRole} THEN user_schools."updatedAt" ELSE now() END
      RETURNING user_schools.*, (xmax = 0) AS "inserted"
    ), event AS (${insertEventsSql({
      from: 'upserted',
      kind: 'membership',
      type: { sql: `CASE WHEN t."inserted" THEN 'membership.created' ELSE 'membership.updated' END` },
      actor: actorBinds(actor, bind),
      where: 't."updatedAt" = now()',
    })})
    SELECT "userUserId" AS "userId", "schoolSchoolId" AS "schoolId", "role", "source", "createdAt", "updatedAt", "inserted" FROM upserted`;
  let rows: MembershipRow[];
  try {
    rows = await withChanges(undefined, (transaction) => getSequelize().query<MembershipRow>(sql, { bind, type: QueryTypes.SELECT, transaction }));
  } catch (error) {
    // Only a hard delete racing this statement gets past the live check to the foreign key.
    if (error instanceof ForeignKeyConstraintError) throw (await missingUserOrSchool({ userId, schoolId })) ?? error;
    throw toHttpError(error, 'membership');
  }
  if (rows.length === 0) throw (await missingUserOrSchool({ userId, schoolId })) ?? new NotFoundError('No such user or school.');
  const { inserted, ...membership } = rows[0];
  return {
    created: inserted,
    membership: { ...membership, createdAt: membership.createdAt.toISOString(), updatedAt: membership.updatedAt.toISOString() },
  };
}

/**
 * Removes a user's link to a school, whatever its source, with its `membership.deleted` event.
 * @throws NotFoundError when the user or the school is missing or soft-deleted, or the user is not a
 * member of the school
 */
export async function unlinkUserFromSchool(schoolId: string, userId: string, actor: Actor): Promise<void> {
  const bind: unknown[] = [userId, schoolId];
  const sql = `
    WITH deleted AS (
      DELETE FROM user_schools us
      USING users u, schools s
      WHERE us."userUserId" = $1 AND us."schoolSchoolId" = $2
        AND u."userId" = us."userUserId" AND u."deletedAt" IS NULL
        AND s."schoolId" = us."schoolSchoolId" AND s."deletedAt" IS NULL
      RETURNING us.*
    ), event AS (${insertEventsSql({ from: 'deleted', kind: 'membership', type: 'membership.deleted', actor: actorBinds(actor, bind) })})
    SELECT "userSchoolId" FROM deleted`;
  const rows = await withChanges(undefined, (transaction) => getSequelize().query(sql, { bind, type: QueryTypes.SELECT, transaction }));
  if (rows.length > 0) return;
  throw (await missingUserOrSchool({ userId, schoolId })) ?? new NotFoundError(`User ${userId} is not a member of school ${schoolId}.`);
}
