import type { Transaction } from 'sequelize';
import { toHttpError } from '../db/errors';
import { getModels } from '../db/sequelize';
import { NotFoundError } from '../errors';
import type { CreateUserInput, UserDto } from '../schemas';
import { USER_ATTRIBUTES, toUserDto } from './presenters';

/**
 * Creates a user, inside `options.transaction` when given (an Idempotency-Key claim).
 * @throws ConflictError when a live user has the same email (case-insensitively) or userName
 */
export async function createUser(input: CreateUserInput, options: { transaction?: Transaction } = {}): Promise<UserDto> {
  const { User } = getModels();
  try {
    const user = await User.create(
      {
        firstName: input.firstName,
        lastName: input.lastName ?? null,
        email: input.email ?? null,
        userName: input.userName ?? null,
      },
      { returning: [...USER_ATTRIBUTES], transaction: options.transaction },
    );
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
  const { User } = getModels();
  const user = await User.findByPk(userId, { attributes: [...USER_ATTRIBUTES], raw: true });
  if (!user) throw new NotFoundError(`No user ${userId}.`);
  return toUserDto(user);
}
