import { QueryTypes, type Transaction } from 'sequelize';
import { actorBinds, insertEventsSql, type Actor } from '../changes/events';
import { withChanges } from '../changes/transaction';
import { toHttpError } from '../db/errors';
import { getModels } from '../db/sequelize';
import { insertSql } from '../db/statements';
import type { CreateUserInput, UserDto, UserPatch } from '../schemas';
import { USER_ATTRIBUTES, toUserDto, type UserRow } from './presenters';
import { deleteRecord, eraseRecord, getRecord, patchRecord, type RecordKind } from './records';
import { etagOf, type Precondition, type Versioned } from './versions';

/** The columns a request sets, in the order of their bind parameters. */
const CREATE_COLUMNS = ['firstName', 'lastName', 'email', 'userName'] as const;

const USERS: RecordKind<UserRow, UserDto, (typeof CREATE_COLUMNS)[number]> = {
  kind: 'user',
  model: () => getModels().User,
  attributes: USER_ATTRIBUTES,
  patchable: CREATE_COLUMNS,
  membershipColumn: 'userUserId',
  path: (userId) => `/users/${userId}`,
  toDto: toUserDto,
};

/**
 * Creates a user and its `user.created` event in one statement, inside `options.transaction` when given
 * (an Idempotency-Key claim), else in a change transaction of its own.
 * @throws ConflictError when a live user has the same email (case-insensitively) or userName
 */
export async function createUser(input: CreateUserInput, actor: Actor, options: { transaction?: Transaction } = {}): Promise<Versioned<UserDto>> {
  const { User, sequelize } = getModels();
  const bind: unknown[] = [input.firstName, input.lastName ?? null, input.email ?? null, input.userName ?? null];
  const event = insertEventsSql({ from: 'created', kind: 'user', type: 'user.created', actor: actorBinds(actor, bind) });
  // One INSERT built from the model; the table's defaults give userId, createdAt and updatedAt.
  const sql = `WITH created AS (${insertSql(User, CREATE_COLUMNS, USER_ATTRIBUTES)}), event AS (${event}) SELECT * FROM created`;
  try {
    const [user] = await withChanges(options.transaction, (transaction) =>
      sequelize.query<UserRow & { version: string }>(sql, { bind, type: QueryTypes.SELECT, transaction }),
    );
    return { record: toUserDto(user), etag: etagOf(user.version) };
  } catch (error) {
    throw toHttpError(error, 'user');
  }
}

/**
 * Reads one live user.
 * @throws NotFoundError when there is none, or it was soft-deleted
 */
export const getUser = (userId: string): Promise<Versioned<UserDto>> => getRecord(USERS, userId);

/**
 * Applies a merge patch to a live user (docs/lifecycle.md).
 * @throws NotFoundError, PreconditionFailedError, ConflictError (a taken email or userName, or a field the roster supplies)
 */
export const patchUser = (userId: string, patch: UserPatch, precondition: Precondition | undefined, actor: Actor): Promise<Versioned<UserDto>> =>
  patchRecord(USERS, userId, patch, precondition, actor);

/**
 * Soft-deletes a live user and ends their memberships.
 * @throws NotFoundError, PreconditionFailedError, ConflictError (a roster-managed user)
 */
export const deleteUser = (userId: string, precondition: Precondition | undefined, actor: Actor): Promise<void> =>
  deleteRecord(USERS, userId, precondition, actor);

/**
 * Erases a user for good, whatever their state, with every copy of their data (docs/lifecycle.md).
 * @throws NotFoundError, PreconditionFailedError
 */
export const eraseUser = (userId: string, precondition: Precondition | undefined, actor: Actor): Promise<void> =>
  eraseRecord(USERS, userId, precondition, actor);
