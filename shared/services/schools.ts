import type { Transaction } from 'sequelize';
import { toHttpError } from '../db/errors';
import { getModels } from '../db/sequelize';
import { NotFoundError } from '../errors';
import type { CreateSchoolInput, SchoolDto } from '../schemas';
import { SCHOOL_ATTRIBUTES, toSchoolDto } from './presenters';

/**
 * Creates a school, inside `options.transaction` when given (an Idempotency-Key claim).
 * @throws ConflictError when a live school has the same code
 */
export async function createSchool(input: CreateSchoolInput, options: { transaction?: Transaction } = {}): Promise<SchoolDto> {
  const { School } = getModels();
  try {
    const school = await School.create({ name: input.name, code: input.code ?? null }, { returning: [...SCHOOL_ATTRIBUTES], transaction: options.transaction });
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
  const { School } = getModels();
  const school = await School.findByPk(schoolId, { attributes: [...SCHOOL_ATTRIBUTES], raw: true });
  if (!school) throw new NotFoundError(`No school ${schoolId}.`);
  return toSchoolDto(school);
}
