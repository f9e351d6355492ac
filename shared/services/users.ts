import { QueryTypes, type Transaction } from 'sequelize';
import { toHttpError } from '../db/errors';
import { getModels } from '../db/sequelize';
import { insertSql, selectByPrimaryKeySql } from '../db/statements';
import { NotFoundError } from '../errors';
import type { CreateUserInput, UserDto } from '../schemas';
import { USER_ATTRIBUTES, toUserDto, type UserRow } from './presenters';

/** The columns a request sets, in the order of their bind parameters. */
const CREATE_COLUMNS = ['firstName', 'lastName', 'email', 'userName'] as const;

/**
 * Creates a user, inside `options.transaction` when given (an Idempotency-Key claim).
 * @throws ConflictError when a live user has the same email (case-insensitively) or userName
 */
export async function createUser(input: CreateUserInput, options: { transaction?: Transaction } = {}): Promise<UserDto> {
  const { User, sequelize } = getModels();
  try {
    // One INSERT built from the model; the table's defaults give userId, createdAt and updatedAt.
    const [user] = await sequelize.query<UserRow>(insertSql(User, CREATE_COLUMNS, USER_ATTRIBUTES), {
      bind: [input.firstName, input.lastName ?? null, input.email ?? null, input.userName ?? null],
      type: QueryTypes.SELECT,
      transaction: options.transaction,
    });
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
