import { QueryTypes, type Transaction } from 'sequelize';
import { actorBinds, insertEventsSql, type Actor } from '../changes/events';
import { withChanges } from '../changes/transaction';
import { toHttpError } from '../db/errors';
import { getModels } from '../db/sequelize';
import { insertSql, selectByPrimaryKeySql } from '../db/statements';
import { NotFoundError } from '../errors';
import type { CreateSchoolInput, SchoolDto } from '../schemas';
import { SCHOOL_ATTRIBUTES, toSchoolDto, type SchoolRow } from './presenters';

/** The columns a request sets, in the order of their bind parameters. */
const CREATE_COLUMNS = ['name', 'code'] as const;

/**
 * Creates a school and its `school.created` event in one statement, inside `options.transaction` when
 * given (an Idempotency-Key claim), else in a change transaction of its own.
 * @throws ConflictError when a live school has the same code
 */
export async function createSchool(input: CreateSchoolInput, actor: Actor, options: { transaction?: Transaction } = {}): Promise<SchoolDto> {
  const { School, sequelize } = getModels();
  const bind: unknown[] = [input.name, input.code ?? null];
  const event = insertEventsSql({ from: 'created', kind: 'school', type: 'school.created', actor: actorBinds(actor, bind) });
  // One INSERT built from the model; the table's defaults give schoolId, createdAt and updatedAt.
  const sql = `WITH created AS (${insertSql(School, CREATE_COLUMNS, SCHOOL_ATTRIBUTES)}), event AS (${event}) SELECT * FROM created`;
  try {
    const [school] = await withChanges(options.transaction, (transaction) => sequelize.query<SchoolRow>(sql, { bind, type: QueryTypes.SELECT, transaction }));
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
