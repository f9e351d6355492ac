import { QueryTypes } from 'sequelize';
import { getSequelize } from '../db/sequelize';
import type { Role } from '../roles';
import {
  encodeCursor,
  type MemberDto,
  type MemberListInput,
  type Page,
  type SchoolDto,
  type SchoolListInput,
  type SchoolOfUserDto,
  type SchoolsInput,
  type UserCursor,
  type UserDto,
  type UserListInput,
} from '../schemas';
import { missingUserOrSchool } from './memberships';
import { SCHOOL_ATTRIBUTES, USER_ATTRIBUTES, toSchoolDto, toUserDto } from './presenters';

/*
 * Keyset pagination (docs/api.md#lists-and-pagination) in raw SQL: the sort keys are expressions that must match the indexes
 * of migration 0002 exactly, which Sequelize's query builder cannot express. Each list is one query
 * fetching limit + 1 rows (the extra row says whether a next page exists); a membership list adds one
 * existence check first, so every list request runs at most two queries whatever its page size.
 */

/** Users' order: lastName with NULLs last, firstName, userId; written NULL-free so one row comparison serves. */
const userSortKey = (t: string) => `(${t}."lastName" IS NULL), COALESCE(${t}."lastName", ''), ${t}."firstName", ${t}."userId"`;
const schoolSortKey = (t: string) => `${t}."name", ${t}."schoolId"`;

const columns = (table: string, names: readonly string[]) => names.map((name) => `${table}."${name}"`).join(', ');

/** Collects bind values and hands out their `$n` placeholders. */
class Bind {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

function userAfter(bind: Bind, t: string, cursor: UserCursor | undefined): string[] {
  if (!cursor) return [];
  const position = [
    `${bind.add(cursor.lastName === null)}::boolean`,
    `${bind.add(cursor.lastName ?? '')}::varchar`,
    `${bind.add(cursor.firstName)}::varchar`,
    `${bind.add(cursor.userId)}::uuid`,
  ];
  return [`(${userSortKey(t)}) > (${position.join(', ')})`];
}

function schoolAfter(bind: Bind, t: string, cursor: SchoolListInput['cursor']): string[] {
  if (!cursor) return [];
  return [`(${schoolSortKey(t)}) > (${bind.add(cursor.name)}::varchar, ${bind.add(cursor.schoolId)}::uuid)`];
}

async function selectPage<Row extends object>(sql: string, bind: Bind): Promise<Row[]> {
  return getSequelize().query<Row>(sql, { bind: bind.values, type: QueryTypes.SELECT });
}

function toPage<Row, Item>(rows: Row[], limit: number, toItem: (row: Row) => Item, keyOf: (row: Row) => Parameters<typeof encodeCursor>[0]): Page<Item> {
  const items = rows.slice(0, limit);
  const nextCursor = rows.length > limit ? encodeCursor(keyOf(items[items.length - 1])) : null;
  return { items: items.map(toItem), nextCursor };
}

type UserRow = Parameters<typeof toUserDto>[0];
type SchoolRow = Parameters<typeof toSchoolDto>[0];
interface MembershipColumns {
  membershipRole: Role;
  membershipSince: Date;
}

const userKey = (row: UserRow): UserCursor => ({ lastName: row.lastName, firstName: row.firstName, userId: row.userId });
const schoolKey = (row: SchoolRow) => ({ name: row.name, schoolId: row.schoolId });
/** The link's columns every membership list selects beside its user or school. */
const MEMBERSHIP_COLUMNS = `us."role" AS "membershipRole", us."createdAt" AS "membershipSince"`;
const membershipOf = (row: MembershipColumns) => ({ role: row.membershipRole, since: row.membershipSince.toISOString() });

/** Escapes LIKE's wildcards so `q` matches literally. */
const likePrefix = (q: string) => `${q.replace(/[\\%_]/g, '\\$&')}%`;

/**
 * A page of live users, optionally filtered by exact email or by a name or email prefix (both
 * case-insensitive), or to those a district's roster holds (a held identity there, docs/districts.md).
 */
export async function listUsers(input: UserListInput): Promise<Page<UserDto>> {
  const bind = new Bind();
  const where = ['u."deletedAt" IS NULL'];
  if (input.email) where.push(`lower(u."email") = lower(${bind.add(input.email)})`);
  if (input.q) {
    const prefix = `lower(${bind.add(likePrefix(input.q))})`;
    where.push(`(lower(u."firstName") LIKE ${prefix} OR lower(u."lastName") LIKE ${prefix} OR lower(u."email") LIKE ${prefix})`);
  }
  if (input.districtId) {
    where.push(
      `EXISTS (SELECT 1 FROM user_roster_identities i WHERE i."userId" = u."userId" AND i."districtId" = ${bind.add(input.districtId)}::uuid AND i."releasedAt" IS NULL)`,
    );
  }
  where.push(...userAfter(bind, 'u', input.cursor));
  const rows = await selectPage<UserRow>(
    `SELECT ${columns('u', USER_ATTRIBUTES)} FROM users u
     WHERE ${where.join(' AND ')}
     ORDER BY ${userSortKey('u')}
     LIMIT ${bind.add(input.limit + 1)}`,
    bind,
  );
  return toPage(rows, input.limit, toUserDto, userKey);
}

/** A page of live schools, optionally only a district's (served by schools_district_list_order_idx). */
export async function listSchools(input: SchoolsInput): Promise<Page<SchoolDto>> {
  const bind = new Bind();
  const where = ['s."deletedAt" IS NULL'];
  if (input.districtId) where.push(`s."districtId" = ${bind.add(input.districtId)}::uuid`);
  where.push(...schoolAfter(bind, 's', input.cursor));
  const rows = await selectPage<SchoolRow>(
    `SELECT ${columns('s', SCHOOL_ATTRIBUTES)} FROM schools s
     WHERE ${where.join(' AND ')}
     ORDER BY ${schoolSortKey('s')}
     LIMIT ${bind.add(input.limit + 1)}`,
    bind,
  );
  return toPage(rows, input.limit, toSchoolDto, schoolKey);
}

/**
 * A page of a school's live members, each with its membership, optionally only those with `role`.
 * @throws NotFoundError when the school is missing or soft-deleted
 */
export async function listSchoolMembers(schoolId: string, input: MemberListInput): Promise<Page<MemberDto>> {
  const missing = await missingUserOrSchool({ schoolId });
  if (missing) throw missing;
  const bind = new Bind();
  const where = [`us."schoolSchoolId" = ${bind.add(schoolId)}`, 'u."deletedAt" IS NULL'];
  if (input.role) where.push(`us."role" = ${bind.add(input.role)}`);
  where.push(...userAfter(bind, 'u', input.cursor));
  const rows = await selectPage<UserRow & MembershipColumns>(
    `SELECT ${columns('u', USER_ATTRIBUTES)}, ${MEMBERSHIP_COLUMNS}
     FROM user_schools us JOIN users u ON u."userId" = us."userUserId"
     WHERE ${where.join(' AND ')}
     ORDER BY ${userSortKey('u')}
     LIMIT ${bind.add(input.limit + 1)}`,
    bind,
  );
  return toPage(rows, input.limit, (row) => ({ ...toUserDto(row), membership: membershipOf(row) }), userKey);
}

/**
 * A page of the live schools a user belongs to, each with the membership.
 * @throws NotFoundError when the user is missing or soft-deleted
 */
export async function listSchoolsOfUser(userId: string, input: SchoolListInput): Promise<Page<SchoolOfUserDto>> {
  const missing = await missingUserOrSchool({ userId });
  if (missing) throw missing;
  const bind = new Bind();
  const where = [`us."userUserId" = ${bind.add(userId)}`, 's."deletedAt" IS NULL', ...schoolAfter(bind, 's', input.cursor)];
  const rows = await selectPage<SchoolRow & MembershipColumns>(
    `SELECT ${columns('s', SCHOOL_ATTRIBUTES)}, ${MEMBERSHIP_COLUMNS}
     FROM user_schools us JOIN schools s ON s."schoolId" = us."schoolSchoolId"
     WHERE ${where.join(' AND ')}
     ORDER BY ${schoolSortKey('s')}
     LIMIT ${bind.add(input.limit + 1)}`,
    bind,
  );
  return toPage(rows, input.limit, (row) => ({ ...toSchoolDto(row), membership: membershipOf(row) }), schoolKey);
}
