import { QueryTypes, type Model, type ModelStatic, type Transaction } from 'sequelize';
import { actorBinds, insertEventsSql, type Actor } from '../changes/events';
import { scrubEntityEvents } from '../changes/retention';
import { changeTransaction } from '../changes/transaction';
import { toHttpError } from '../db/errors';
import { getSequelize } from '../db/sequelize';
import { selectByPrimaryKeySql, updateSql } from '../db/statements';
import { ConflictError, NotFoundError } from '../errors';
import { rosterOwnerOf } from './ownership';
import { checkPrecondition, etagOf, type Precondition, type Versioned } from './versions';

/**
 * What changing, removing and erasing need to know of users and of schools (docs/lifecycle.md): one code path
 * for both kinds, each described once in users.ts and schools.ts.
 */
export interface RecordKind<Row extends { sourcedId: string | null }, Dto, Field extends string> {
  kind: 'user' | 'school';
  model: () => ModelStatic<Model>;
  /** The columns a response shows. */
  attributes: readonly string[];
  /** The fields a patch may set; all of them are ones the roster supplies for a roster-managed record. */
  patchable: readonly Field[];
  /** The column of user_schools that names this kind. */
  membershipColumn: 'userUserId' | 'schoolSchoolId';
  /** The path a POST answered with in `Location`, as an Idempotency-Key record stores it. */
  path: (id: string) => string;
  toDto: (row: Row) => Dto;
}

type VersionedRow<Row> = Row & { version: string };

const label = (kind: RecordKind<never, unknown, string>, id: string) => `The ${kind.kind} ${id}`;

/**
 * Runs `work` in one change transaction (its events sealed last, docs/change-feed.md) and maps database
 * errors (a unique clash: 409) once.
 */
async function inTransaction<T>(entity: string, work: (transaction: Transaction) => Promise<T>): Promise<T> {
  try {
    return await changeTransaction(work);
  } catch (error) {
    throw toHttpError(error, entity);
  }
}

async function lockRow<Row>(kind: RecordKind<never, unknown, string>, id: string, transaction: Transaction, withDeleted = false): Promise<VersionedRow<Row>> {
  const [row] = await getSequelize().query<VersionedRow<Row>>(selectByPrimaryKeySql(kind.model(), kind.attributes, { forUpdate: true, withDeleted }), {
    bind: [id],
    type: QueryTypes.SELECT,
    transaction,
  });
  if (!row) throw new NotFoundError(`No ${kind.kind} ${id}.`);
  return row;
}

/** Reads one live record with its ETag. @throws NotFoundError when there is none, or it was soft-deleted */
export async function getRecord<Row extends { sourcedId: string | null }, Dto>(kind: RecordKind<Row, Dto, string>, id: string): Promise<Versioned<Dto>> {
  const [row] = await getSequelize().query<VersionedRow<Row>>(selectByPrimaryKeySql(kind.model(), kind.attributes), { bind: [id], type: QueryTypes.SELECT });
  if (!row) throw new NotFoundError(`No ${kind.kind} ${id}.`);
  return { record: kind.toDto(row), etag: etagOf(row.version) };
}

/**
 * Applies a merge patch to one live record: the row is read FOR UPDATE, so a concurrent PATCH or DELETE
 * waits and then sees this one's result, and `If-Match` is checked against the row as it stands. Only
 * the fields whose value changes are written, with a `*.updated` event; a patch that changes nothing writes
 * nothing, no event either, so neither updatedAt nor the ETag moves.
 * @throws NotFoundError when the record is missing or soft-deleted
 * @throws PreconditionFailedError when `If-Match` names no current version
 * @throws ConflictError when the roster manages the record and the patch changes a field it supplies, or a
 * new value is taken by another live record
 */
export async function patchRecord<Row extends { sourcedId: string | null }, Dto, Field extends string>(
  kind: RecordKind<Row, Dto, Field>,
  id: string,
  patch: Partial<Record<Field, unknown>>,
  precondition: Precondition | undefined,
  actor: Actor,
): Promise<Versioned<Dto>> {
  return inTransaction(kind.kind, async (transaction) => {
    const row = await lockRow<Row>(kind, id, transaction);
    checkPrecondition(label(kind, id), row.version, precondition);
    const current = row as unknown as Record<Field, unknown>;
    const changed = kind.patchable.filter((field) => patch[field] !== undefined && patch[field] !== (current[field] ?? null));
    if (changed.length === 0) return { record: kind.toDto(row), etag: etagOf(row.version) };
    const owner = await rosterOwnerOf(kind.kind, id, transaction);
    if (owner) {
      throw new ConflictError(`${label(kind, id)} is managed by ${owner.description}, which supplies ${changed.join(', ')}: change it in the SIS.`);
    }
    // The update and its `*.updated` event, one statement.
    const bind: unknown[] = [id, ...changed.map((field) => patch[field])];
    const event = insertEventsSql({ from: 'changed', kind: kind.kind, type: `${kind.kind}.updated`, actor: actorBinds(actor, bind) });
    const [updated] = await getSequelize().query<VersionedRow<Row>>(
      `WITH changed AS (${updateSql(kind.model(), changed, kind.attributes)}), event AS (${event}) SELECT * FROM changed`,
      { bind, type: QueryTypes.SELECT, transaction },
    );
    return { record: kind.toDto(updated), etag: etagOf(updated.version) };
  });
}

/** Removes every membership of the record, each with its `membership.deleted` event, in one statement. */
async function removeMemberships(kind: RecordKind<never, unknown, string>, id: string, actor: Actor, transaction: Transaction): Promise<void> {
  const bind: unknown[] = [id];
  const events = insertEventsSql({ from: 'removed', kind: 'membership', type: 'membership.deleted', actor: actorBinds(actor, bind) });
  await getSequelize().query(`WITH removed AS (DELETE FROM user_schools WHERE "${kind.membershipColumn}" = $1 RETURNING *), events AS (${events}) SELECT 1`, {
    bind,
    transaction,
  });
}

/**
 * Soft-deletes one live record and removes its memberships, with their events (`membership.deleted` for
 * each, then `*.deleted`), in one transaction: from its commit on, the
 * GETs answer 404 and no list shows it. A link racing it waits (it holds the row FOR SHARE) and then
 * finds the record gone.
 * @throws NotFoundError when the record is missing or already soft-deleted
 * @throws PreconditionFailedError when `If-Match` names no current version
 * @throws ConflictError when the roster manages the record (only erasure removes it through the API)
 */
export async function deleteRecord(kind: RecordKind<never, unknown, string>, id: string, precondition: Precondition | undefined, actor: Actor): Promise<void> {
  const sequelize = getSequelize();
  await inTransaction(kind.kind, async (transaction) => {
    const row = await lockRow<{ sourcedId: string | null }>(kind, id, transaction);
    checkPrecondition(label(kind, id), row.version, precondition);
    const owner = await rosterOwnerOf(kind.kind, id, transaction);
    if (owner) throw new ConflictError(`${label(kind, id)} is managed by ${owner.description}: remove it there, or erase it.`);
    await removeMemberships(kind, id, actor, transaction);
    const model = kind.model();
    const bind: unknown[] = [id];
    const event = insertEventsSql({ from: 'deleted', kind: kind.kind, type: `${kind.kind}.deleted`, actor: actorBinds(actor, bind) });
    await sequelize.query(
      `WITH deleted AS (UPDATE "${model.getTableName()}" SET "deletedAt" = now() WHERE "${model.primaryKeyAttribute}" = $1 RETURNING "${model.primaryKeyAttribute}"),
       event AS (${event}) SELECT 1`,
      { bind, transaction },
    );
  });
}

/**
 * Erases one record for good, whatever its state (docs/lifecycle.md#erasure-erasetrue): the row, and with it (ON DELETE CASCADE)
 * its memberships (each with a `membership.deleted` event), and every stored Idempotency-Key response that
 * returned it; writes the `*.erased` event and nulls the data of the record's earlier events. Sync-run reports never
 * quote a record's values, so they hold nothing to erase (docs/lifecycle.md).
 * @throws NotFoundError when there is no such record (a second erasure)
 * @throws PreconditionFailedError when `If-Match` names no current version
 */
export async function eraseRecord(kind: RecordKind<never, unknown, string>, id: string, precondition: Precondition | undefined, actor: Actor): Promise<void> {
  const sequelize = getSequelize();
  await inTransaction(kind.kind, async (transaction) => {
    const row = await lockRow<{ sourcedId: string | null }>(kind, id, transaction, true);
    checkPrecondition(label(kind, id), row.version, precondition);
    // The memberships go first and explicitly (not by the cascade), so that each has its event.
    await removeMemberships(kind, id, actor, transaction);
    const model = kind.model();
    const bind: unknown[] = [id];
    const event = insertEventsSql({ from: 'erased', kind: kind.kind, type: `${kind.kind}.erased`, actor: actorBinds(actor, bind) });
    await sequelize.query(
      `WITH erased AS (DELETE FROM "${model.getTableName()}" WHERE "${model.primaryKeyAttribute}" = $1 RETURNING "${model.primaryKeyAttribute}"),
       event AS (${event}) SELECT 1`,
      { bind, transaction },
    );
    // Earlier events keep only their type and ids (docs/change-feed.md#retention-and-erasure).
    await scrubEntityEvents(kind.kind, [id], { transaction });
    await sequelize.query(`DELETE FROM idempotency_keys WHERE "responseHeaders"->>'Location' = $1`, { bind: [kind.path(id)], transaction });
  });
}
