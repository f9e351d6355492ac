import { withClient } from './db';

/** Adds a district as an admin would (docs/districts.md), returning its id. */
export async function createDistrict(name: string, fields: { maxDeleteRatio?: number; rosterSource?: string; syncSchedule?: string } = {}): Promise<string> {
  return withClient(async (c) =>
    (
      await c.query(`INSERT INTO districts (name, "maxDeleteRatio", "rosterSource", "syncSchedule") VALUES ($1, $2, $3, $4) RETURNING "districtId"`, [
        name,
        fields.maxDeleteRatio ?? null,
        fields.rosterSource ?? null,
        fields.syncSchedule ?? null,
      ])
    ).rows[0].districtId as string,
  );
}

/** A district's records as its roster sees them: its identities, schools and links, by sourcedId. */
export async function districtState(districtId: string) {
  return withClient(async (c) => {
    const users = await c.query(
      `SELECT i."sourcedId", u."userId", u."firstName", u.email, u."deletedAt" IS NOT NULL AS deleted, i."releasedAt" IS NOT NULL AS released
       FROM user_roster_identities i JOIN users u USING ("userId") WHERE i."districtId" = $1 ORDER BY i."sourcedId"`,
      [districtId],
    );
    const schools = await c.query(
      `SELECT "sourcedId", "schoolId", name, "deletedAt" IS NOT NULL AS deleted FROM schools WHERE "districtId" = $1 ORDER BY "sourcedId"`,
      [districtId],
    );
    const links = await c.query(
      `SELECT l."userUserId", s."sourcedId" AS school, l.role, l."updatedAt" FROM user_schools l JOIN schools s ON s."schoolId" = l."schoolSchoolId"
       WHERE l."districtId" = $1 ORDER BY 1, 2`,
      [districtId],
    );
    return { users: users.rows, schools: schools.rows, links: links.rows };
  });
}

/** The user a district knows by `sourcedId`. */
export async function userOf(districtId: string, sourcedId: string) {
  return withClient(async (c) => {
    const { rows } = await c.query(
      `SELECT u."userId", u."sourcedId", u."firstName", u."lastName", u.email, u.source, u."deletedAt" IS NOT NULL AS deleted
       FROM user_roster_identities i JOIN users u USING ("userId") WHERE i."districtId" = $1 AND i."sourcedId" = $2`,
      [districtId, sourcedId],
    );
    return rows[0];
  });
}

/** The schools a user belongs to, as `district school-sourcedId` strings. */
export async function schoolsOf(userId: string): Promise<string[]> {
  return withClient(async (c) =>
    (
      await c.query(
        `SELECT d.name || ' ' || s."sourcedId" AS school FROM user_schools l JOIN schools s ON s."schoolId" = l."schoolSchoolId"
         JOIN districts d ON d."districtId" = s."districtId" WHERE l."userUserId" = $1 ORDER BY 1`,
        [userId],
      )
    ).rows.map((row) => row.school as string),
  );
}
