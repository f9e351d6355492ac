import { QueryTypes, type Transaction } from 'sequelize';
import { toHttpError } from '../db/errors';
import { getModels } from '../db/sequelize';
import { insertSql, selectByPrimaryKeySql } from '../db/statements';
import { NotFoundError } from '../errors';
import type { CreateSchoolInput, SchoolDto } from '../schemas';
import { SCHOOL_ATTRIBUTES, toSchoolDto, type SchoolRow } from './presenters';

/** The columns a request sets, in the order of their bind parameters. */
const CREATE_COLUMNS = ['name', 'code'] as const;

/**
 * Creates a school, inside `options.transaction` when given (an Idempotency-Key claim).
 * @throws ConflictError when a live school has the same code
 */
export async function createSchool(input: CreateSchoolInput, options: { transaction?: Transaction } = {}): Promise<SchoolDto> {
  const { School, sequelize } = getModels();
  try {
    // One INSERT built from the model; the table's defaults give schoolId, createdAt and updatedAt.
    const [school] = await sequelize.query<SchoolRow>(insertSql(School, CREATE_COLUMNS, SCHOOL_ATTRIBUTES), {
      bind: [input.name, input.code ?? null],
      type: QueryTypes.SELECT,
      transaction: options.transaction,
    });
    return toSchoolDto(school);
  } catch (error) {
    throw toHttpError(error, 'school');
  }
}

/**
 * Reads one live school.
 * @throws NotFoundError when there is none, or it was soft-deleted
 */
export async function getSchool(schoolId: string): Promise<SchoolDto> {
  const { School, sequelize } = getModels();
  const [school] = await sequelize.query<SchoolRow>(selectByPrimaryKeySql(School, SCHOOL_ATTRIBUTES), { bind: [schoolId], type: QueryTypes.SELECT });
  if (!school) throw new NotFoundError(`No school ${schoolId}.`);
  return toSchoolDto(school);
}
