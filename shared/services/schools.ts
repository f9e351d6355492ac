import { QueryTypes, type Transaction } from 'sequelize';
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
 * Creates a school, inside `options.transaction` when given (an Idempotency-Key claim).
 * @throws ConflictError when a live school has the same code
 */
export async function createSchool(input: CreateSchoolInput, options: { transaction?: Transaction } = {}): Promise<Versioned<SchoolDto>> {
  const { School, sequelize } = getModels();
  try {
    // One INSERT built from the model; the table's defaults give schoolId, createdAt and updatedAt.
    const [school] = await sequelize.query<SchoolRow & { version: string }>(insertSql(School, CREATE_COLUMNS, SCHOOL_ATTRIBUTES), {
      bind: [input.name, input.code ?? null],
      type: QueryTypes.SELECT,
      transaction: options.transaction,
    });
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
export const patchSchool = (schoolId: string, patch: SchoolPatch, precondition?: Precondition): Promise<Versioned<SchoolDto>> =>
  patchRecord(SCHOOLS, schoolId, patch, precondition);

/**
 * Soft-deletes a live school and ends its memberships.
 * @throws NotFoundError, PreconditionFailedError, ConflictError (a roster-managed school)
 */
export const deleteSchool = (schoolId: string, precondition?: Precondition): Promise<void> => deleteRecord(SCHOOLS, schoolId, precondition);

/**
 * Erases a school for good, whatever its state, with every copy of its data (docs/lifecycle.md).
 * @throws NotFoundError, PreconditionFailedError
 */
export const eraseSchool = (schoolId: string, precondition?: Precondition): Promise<void> => eraseRecord(SCHOOLS, schoolId, precondition);

/** The district whose roster holds a school (soft-deleted or not): null for an API school or none. */
export async function districtOfSchool(schoolId: string): Promise<string | null> {
  const [row] = await getModels().sequelize.query<{ districtId: string | null }>(`SELECT "districtId" FROM schools WHERE "schoolId" = $1`, {
    bind: [schoolId],
    type: QueryTypes.SELECT,
  });
  return row?.districtId ?? null;
}
