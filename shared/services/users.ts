import { QueryTypes, type Transaction } from 'sequelize';
import { actorBinds, insertEventsSql, type Actor } from '../changes/events';
import { withChanges } from '../changes/transaction';
import { toHttpError } from '../db/errors';
import { getModels } from '../db/sequelize';
import { insertSql, selectByPrimaryKeySql } from '../db/statements';
import { NotFoundError } from '../errors';
import type { CreateUserInput, UserDto } from '../schemas';
import { USER_ATTRIBUTES, toUserDto, type UserRow } from './presenters';

/** The columns a request sets, in the order of their bind parameters. */
const CREATE_COLUMNS = ['firstName', 'lastName', 'email', 'userName'] as const;

/**
 * Creates a user and its `user.created` event in one statement, inside `options.transaction` when given
 * (an Idempotency-Key claim), else in a change transaction of its own.
 * @throws ConflictError when a live user has the same email (case-insensitively) or userName
 */
export async function createUser(input: CreateUserInput, actor: Actor, options: { transaction?: Transaction } = {}): Promise<UserDto> {
  const { User, sequelize } = getModels();
  const bind: unknown[] = [input.firstName, input.lastName ?? null, input.email ?? null, input.userName ?? null];
  const event = insertEventsSql({ from: 'created', kind: 'user', type: 'user.created', actor: actorBinds(actor, bind) });
  // One INSERT built from the model; the table's defaults give userId, createdAt and updatedAt.
  const sql = `WITH created AS (${insertSql(User, CREATE_COLUMNS, USER_ATTRIBUTES)}), event AS (${event}) SELECT * FROM created`;
  try {
    const [user] = await withChanges(options.transaction, (transaction) => sequelize.query<UserRow>(sql, { bind, type: QueryTypes.SELECT, transaction }));
    return toUserDto(user);
  } catch (error) {
    throw toHttpError(error, 'user');
  }
}

/**
 * Reads one live user.
 * @throws NotFoundError when there is none, or it was soft-deleted
 */
export async function getUser(userId: string): Promise<UserDto> {
  const { User, sequelize } = getModels();
  const [user] = await sequelize.query<UserRow>(selectByPrimaryKeySql(User, USER_ATTRIBUTES), { bind: [userId], type: QueryTypes.SELECT });
  if (!user) throw new NotFoundError(`No user ${userId}.`);
  return toUserDto(user);
}
