import type { Transaction } from 'sequelize';

/** Who supplies a roster-managed record's fields: the district whose roster holds it. */
export interface RosterOwner {
  /** Null until districts exist: the deployment's one roster. */
  districtId: string | null;
  /** How a message names it. */
  description: string;
}

/**
 * The one place that decides whether a record is the roster's (docs/lifecycle.md#records-the-roster-manages): a record that holds a roster
 * identity, today a `sourcedId`. When districts land, this reads the holding district instead.
 */
export async function rosterOwnerOf(
  _kind: 'user' | 'school',
  record: { sourcedId: string | null },
  _transaction: Transaction,
): Promise<RosterOwner | undefined> {
  if (record.sourcedId === null) return undefined;
  return { districtId: null, description: "the district's roster" };
}
