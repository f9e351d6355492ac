import { QueryTypes, type Transaction } from 'sequelize';
import { actorBinds, insertEventsSql, type Actor } from '../changes/events';
import { withChanges } from '../changes/transaction';
import { toHttpError } from '../db/errors';
import { getModels } from '../db/sequelize';
import { insertSql } from '../db/statements';
import type { CreateSchoolInput, SchoolDto, SchoolPatch } from '../schemas';
import { SCHOOL_ATTRIBUTES, toSchoolDto, type SchoolRow } from './presenters';
import { deleteRecord, eraseRecord, getRecord, patchRecord, type RecordKind } from './records';
import { etagOf, type Precondition, type Versioned } from './versions';

/** The columns a request sets, in the order of their bind parameters. */
const CREATE_COLUMNS = ['name', 'code'] as const;

const SCHOOLS: RecordKind<SchoolRow, SchoolDto, (typeof CREATE_COLUMNS)[number]> = {
  kind: 'school',
  model: () => getModels().School,
  attributes: SCHOOL_ATTRIBUTES,
  patchable: CREATE_COLUMNS,
  membershipColumn: 'schoolSchoolId',
  path: (schoolId) => `/schools/${schoolId}`,
  toDto: toSchoolDto,
};

/**
 * Creates a school and its `school.created` event in one statement, inside `options.transaction` when
 * given (an Idempotency-Key claim), else in a change transaction of its own.
 * @throws ConflictError when a live school has the same code
 */
export async function createSchool(input: CreateSchoolInput, actor: Actor, options: { transaction?: Transaction } = {}): Promise<Versioned<SchoolDto>> {
  const { School, sequelize } = getModels();
  const bind: unknown[] = [input.name, input.code ?? null];
  const event = insertEventsSql({ from: 'created', kind: 'school', type: 'school.created', actor: actorBinds(actor, bind) });
  // One INSERT built from the model; the table's defaults give schoolId, createdAt and updatedAt.
  const sql = `WITH created AS (${insertSql(School, CREATE_COLUMNS, SCHOOL_ATTRIBUTES)}), event AS (${event}) SELECT * FROM created`;
  try {
    const [school] = await withChanges(options.transaction, (transaction) =>
      sequelize.query<SchoolRow & { version: string }>(sql, { bind, type: QueryTypes.SELECT, transaction }),
    );
    return { record: toSchoolDto(school), etag: etagOf(school.version) };
  } catch (error) {
    throw toHttpError(error, 'school');
  }
}

/**
 * Reads one live school.
 * @throws NotFoundError when there is none, or it was soft-deleted
 */
export const getSchool = (schoolId: string): Promise<Versioned<SchoolDto>> => getRecord(SCHOOLS, schoolId);

/**
 * Applies a merge patch to a live school (docs/lifecycle.md).
 * @throws NotFoundError, PreconditionFailedError, ConflictError (a taken code, or a field the roster supplies)
 */
export const patchSchool = (schoolId: string, patch: SchoolPatch, precondition: Precondition | undefined, actor: Actor): Promise<Versioned<SchoolDto>> =>
  patchRecord(SCHOOLS, schoolId, patch, precondition, actor);

/**
 * Soft-deletes a live school and ends its memberships.
 * @throws NotFoundError, PreconditionFailedError, ConflictError (a roster-managed school)
 */
export const deleteSchool = (schoolId: string, precondition: Precondition | undefined, actor: Actor): Promise<void> =>
  deleteRecord(SCHOOLS, schoolId, precondition, actor);

/**
 * Erases a school for good, whatever its state, with every copy of its data (docs/lifecycle.md).
 * @throws NotFoundError, PreconditionFailedError
 */
export const eraseSchool = (schoolId: string, precondition: Precondition | undefined, actor: Actor): Promise<void> =>
  eraseRecord(SCHOOLS, schoolId, precondition, actor);

/** The district whose roster holds a school (soft-deleted or not): null for an API school or none. */
export async function districtOfSchool(schoolId: string): Promise<string | null> {
  const [row] = await getModels().sequelize.query<{ districtId: string | null }>(`SELECT "districtId" FROM schools WHERE "schoolId" = $1`, {
    bind: [schoolId],
    type: QueryTypes.SELECT,
  });
  return row?.districtId ?? null;
}
