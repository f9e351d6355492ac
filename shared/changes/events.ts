import { SCHOOL_ATTRIBUTES, USER_ATTRIBUTES } from '../services/presenters';

/** Who made a change (docs/change-feed.md): an API caller (its token's issuer and subject), a roster sync run, or housekeeping. */
export const ACTOR_KINDS = ['api', 'roster', 'housekeeping'] as const;
export type ActorKind = (typeof ACTOR_KINDS)[number];
export interface Actor {
  kind: ActorKind;
  id: string | null;
}

export const EVENT_TYPES = [
  'user.created',
  'user.updated',
  'user.deleted',
  'user.erased',
  'school.created',
  'school.updated',
  'school.deleted',
  'school.erased',
  'membership.created',
  'membership.updated',
  'membership.deleted',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
export type EntityKind = 'user' | 'school' | 'membership';

/** A timestamp as the API writes it (JavaScript's toISOString: milliseconds, UTC, `Z`). */
const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

const TIMESTAMPS = new Set(['createdAt', 'updatedAt']);

/** jsonb_build_object of `attributes` read from the columns of the same names of alias `t`. */
function objectSql(t: string, attributes: readonly string[]): string {
  return `jsonb_build_object(${attributes.map((name) => `'${name}', ${TIMESTAMPS.has(name) ? iso(`${t}."${name}"`) : `${t}."${name}"`}`).join(', ')})`;
}

/**
 * The event's `data`: the record after the change as the API presents it (shared/services/presenters.ts
 * names the columns), built by the statement that made the change, from the row it returned.
 */
function dataSql(kind: EntityKind, t: string): string {
  if (kind === 'user') return objectSql(t, USER_ATTRIBUTES);
  if (kind === 'school') return objectSql(t, SCHOOL_ATTRIBUTES);
  return `jsonb_build_object('userId', ${t}."userUserId", 'schoolId', ${t}."schoolSchoolId", 'role', ${t}."role", 'source', ${t}."source",
    'createdAt', ${iso(`${t}."createdAt"`)}, 'updatedAt', ${iso(`${t}."updatedAt"`)})`;
}

const ID_COLUMN: Record<EntityKind, string> = { user: 'userId', school: 'schoolId', membership: 'userSchoolId' };

export interface EventsFrom {
  /** A table or CTE whose rows are rows of the entity's table (all its columns: `RETURNING t.*`). */
  from: string;
  kind: EntityKind;
  /** One type for every row, or a SQL expression over the row (alias `t`) that gives it. */
  type: EventType | { sql: string };
  /** SQL of the actor's kind and id, e.g. bind parameters `$3, $4` (see actorBinds). */
  actor: string;
  /** Also a condition on the row (alias `t`): only these rows are changes. */
  where?: string;
}

/**
 * INSERT of one change event for each row of `from`, set-based: the statement that changed the rows
 * returns them into a CTE and this inserts their events in the same statement, with no round trip per
 * row. Deleted and erased events carry no data (docs/change-feed.md).
 */
export function insertEventsSql({ from, kind, type, actor, where }: EventsFrom): string {
  const typeSql = typeof type === 'string' ? `'${type}'` : type.sql;
  const noData = typeof type === 'string' && /\.(deleted|erased)$/.test(type);
  const link = kind === 'membership' ? 't."userUserId", t."schoolSchoolId"' : 'NULL::uuid, NULL::uuid';
  return `INSERT INTO change_events ("type", "actorKind", "actorId", "entityKind", "entityId", "userId", "schoolId", "data")
    SELECT ${typeSql}, ${actor}, '${kind}', t."${ID_COLUMN[kind]}", ${link}, ${noData ? 'NULL' : dataSql(kind, 't')}
    FROM ${from} t${where ? ` WHERE ${where}` : ''}`;
}

/** Appends the actor's kind and id to `bind` and returns their placeholders, for insertEventsSql's `actor`. */
export function actorBinds(actor: Actor, bind: unknown[]): string {
  bind.push(actor.kind, actor.id);
  return `$${bind.length - 1}::varchar, $${bind.length}::varchar`;
}
