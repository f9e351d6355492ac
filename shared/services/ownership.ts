import { QueryTypes, type Transaction } from 'sequelize';
import { getSequelize } from '../db/sequelize';

/** Who supplies a roster-managed record's fields: the district whose roster holds it. */
interface RosterOwner {
  districtId: string;
  /** How a message names it: the district's name and id (neither is personal data). */
  description: string;
}

/**
 * The district that holds a user: of the identities they hold (not released), the one held longest,
 * which supplies their fields (docs/districts.md). A school belongs to at most one district.
 */
const OWNER_SQL = {
  user: `SELECT d."districtId", d."name" FROM user_roster_identities i JOIN districts d ON d."districtId" = i."districtId"
         WHERE i."userId" = $1 AND i."releasedAt" IS NULL ORDER BY i."heldSince", i."districtId" LIMIT 1`,
  school: `SELECT d."districtId", d."name" FROM schools s JOIN districts d ON d."districtId" = s."districtId" WHERE s."schoolId" = $1`,
};

/**
 * The one place that decides whether a record is the roster's (docs/lifecycle.md#records-the-roster-manages):
 * a user who holds a roster identity, a school that belongs to a district. Read inside the change's
 * transaction, after the row lock, so a sync that adopts or releases the record meanwhile is seen.
 */
export async function rosterOwnerOf(kind: 'user' | 'school', id: string, transaction: Transaction): Promise<RosterOwner | undefined> {
  const [owner] = await getSequelize().query<{ districtId: string; name: string }>(OWNER_SQL[kind], { bind: [id], type: QueryTypes.SELECT, transaction });
  return owner && { districtId: owner.districtId, description: `the roster of district ${JSON.stringify(owner.name)} (${owner.districtId})` };
}
