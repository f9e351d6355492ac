import { QueryTypes } from 'sequelize';
import { config } from '../config';
import { getSequelize } from '../db/sequelize';
import { NotFoundError } from '../errors';
import type { Role } from '../roles';
import { parseCollectionQuery, type CollectionSpec, type QueryParameters } from './query';

/*
 * The OneRoster 1.2 read endpoints' queries and presenters (docs/oneroster.md). Raw SQL, as the lists
 * are: the page is selected first and its roles after it (bench/oneroster-offset.ts: five times cheaper at
 * depth than roles in the select list), `dateLastModified` is `GREATEST("updatedAt", "deletedAt")`, the
 * expression migration 0009 indexes, and every value travels as a bind parameter. Binds $1 to $4 are fixed
 * (reach and retention); the filter's are numbered after them, then limit and offset.
 */

/** What a token's claims reach (shared/http/auth.ts): undefined is "not limited", a set the ids it names. */
export interface ServedReach {
  schools?: ReadonlySet<string>;
  districts?: ReadonlySet<string>;
}

/** Which users a route serves: all, or those holding a student or a teaching role. */
export type UserKind = 'users' | 'students' | 'teachers';

/** The page and what the response headers need. */
export interface CollectionResult<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

const KIND_ROLES: Record<Exclude<UserKind, 'users'>, readonly Role[]> = { students: ['student'], teachers: ['teacher', 'guestLecturer'] };

/**
 * The service's roles (docs/data-model.md) as OneRoster 1.2 names them (docs/oneroster.md): `guestLecturer` is a teacher, and 1.1's
 * `administrator`, which 1.2 split in two, is the administrator of the school the membership names.
 */
const ONEROSTER_ROLE: Partial<Record<Role, string>> = { guestLecturer: 'teacher', administrator: 'siteAdministrator' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A claim's ids as a uuid[] bind: null when the token is not limited; ids that are no UUID name nothing. */
const idsBind = (ids: ReadonlySet<string> | undefined) => (ids ? [...ids].filter((id) => UUID.test(id)) : null);

const FIXED_BINDS = 4;
const fixedBinds = (reach: ServedReach, extra: string | null) => [idsBind(reach.schools), idsBind(reach.districts), config.changes.retentionDays, extra];
const CUTOFF = `now() - make_interval(days => $3::int)`;

/** A school of alias `s` within the token's reach ($1 schools, $2 districts). */
const schoolInReach = (s: string) => `($1::uuid[] IS NULL OR ${s}."schoolId" = ANY($1::uuid[])) AND ($2::uuid[] IS NULL OR ${s}."districtId" = ANY($2::uuid[]))`;

const USER_FIELDS = ['sourcedId', 'status', 'dateLastModified', 'username', 'enabledUser', 'givenName', 'familyName', 'email', 'roles'] as const;
const ORG_FIELDS = ['sourcedId', 'status', 'dateLastModified', 'name', 'type', 'identifier', 'parent'] as const;

const USERS: CollectionSpec = {
  filterFields: {
    sourcedId: { sql: `x."userId"::text`, type: 'text' },
    status: { sql: 'x.status', type: 'enum', values: ['active', 'tobedeleted'] },
    dateLastModified: { sql: 'x."dateLastModified"', type: 'datetime' },
    username: { sql: 'x."userName"', type: 'text' },
    givenName: { sql: 'x."firstName"', type: 'text' },
    familyName: { sql: `COALESCE(x."lastName", '')`, type: 'text' },
    email: { sql: 'x.email', type: 'text' },
  },
  sortFields: {
    sourcedId: 'x."userId"',
    status: 'x.status',
    dateLastModified: 'x."dateLastModified"',
    username: 'x."userName"',
    givenName: 'x."firstName"',
    familyName: `COALESCE(x."lastName", '')`,
    email: 'x.email',
  },
  selectableFields: USER_FIELDS,
  defaultSort: 'sourcedId',
  tiebreaker: 'x."userId"',
};

const ORGS: CollectionSpec = {
  filterFields: {
    sourcedId: { sql: 'x.id::text', type: 'text' },
    status: { sql: 'x.status', type: 'enum', values: ['active', 'tobedeleted'] },
    dateLastModified: { sql: 'x."dateLastModified"', type: 'datetime' },
    name: { sql: 'x.name', type: 'text' },
    type: { sql: 'x.type', type: 'enum', values: ['district', 'school'] },
    identifier: { sql: 'x.identifier', type: 'text' },
    'parent.sourcedId': { sql: 'x.parent::text', type: 'text' },
  },
  sortFields: { sourcedId: 'x.id', status: 'x.status', dateLastModified: 'x."dateLastModified"', name: 'x.name', type: 'x.type', identifier: 'x.identifier' },
  selectableFields: ORG_FIELDS,
  defaultSort: 'sourcedId',
  tiebreaker: 'x.id',
};

/**
 * The users a route serves ($4: the one school of /schools/{id}/...): live users holding a membership in
 * reach (of the kind's roles), and, on /users, users soft-deleted within the change-feed retention as
 * `tobedeleted`. A district-limited token sees a removed user that held one of its districts' roster
 * identities; a school-limited token sees no removed user (what schools they were in is gone with their links).
 */
function servedUsersSql(kind: UserKind): string[] {
  const roles = kind === 'users' ? '' : `AND l.role IN (${KIND_ROLES[kind].map((role) => `'${role}'`).join(', ')})`;
  const columns = `u."userId", u."firstName", u."lastName", u.email, u."userName", GREATEST(u."updatedAt", u."deletedAt") AS "dateLastModified"`;
  // Two disjoint branches joined by UNION ALL rather than one OR: each keeps its own index (the EXISTS
  // becomes a semi join, a filter on dateLastModified reaches migration 0009's index in both).
  const active = `SELECT ${columns}, 'active'::text AS status FROM users u
    WHERE u."deletedAt" IS NULL AND EXISTS (
      SELECT 1 FROM user_schools l JOIN schools s ON s."schoolId" = l."schoolSchoolId"
      WHERE l."userUserId" = u."userId" AND s."deletedAt" IS NULL AND ${schoolInReach('s')} ${roles}
        AND ($4::uuid IS NULL OR s."schoolId" = $4::uuid))`;
  if (kind !== 'users') {
    // Referenced all the same, so that PostgreSQL knows the type of every fixed bind.
    return [`${active} AND $3::int IS NOT NULL`];
  }
  const removed = `SELECT ${columns}, 'tobedeleted'::text AS status FROM users u
    WHERE u."deletedAt" > ${CUTOFF} AND $4::uuid IS NULL AND $1::uuid[] IS NULL AND ($2::uuid[] IS NULL OR EXISTS (
      SELECT 1 FROM user_roster_identities i WHERE i."userId" = u."userId" AND i."districtId" = ANY($2::uuid[])))`;
  return [active, removed];
}

/**
 * The orgs a route serves: districts in reach (a school-limited token reaches its schools' districts), and
 * schools in reach, live or soft-deleted within the change-feed retention (`tobedeleted`).
 */
function servedOrgsSql(withDistricts: boolean): string[] {
  const schools = `SELECT s."schoolId" AS id, 'school'::text AS type, s.name, COALESCE(s.code, '')::text AS identifier, s."districtId" AS parent,
      GREATEST(s."updatedAt", s."deletedAt") AS "dateLastModified", CASE WHEN s."deletedAt" IS NULL THEN 'active' ELSE 'tobedeleted' END AS status
    FROM schools s WHERE (s."deletedAt" IS NULL OR s."deletedAt" > ${CUTOFF}) AND ${schoolInReach('s')} AND ($4::uuid IS NULL OR s."schoolId" = $4::uuid)`;
  if (!withDistricts) return [schools];
  const districts = `SELECT d."districtId" AS id, 'district'::text AS type, d.name, ''::text AS identifier, NULL::uuid AS parent,
      d."updatedAt" AS "dateLastModified", 'active'::text AS status
    FROM districts d WHERE ($2::uuid[] IS NULL OR d."districtId" = ANY($2::uuid[]))
      AND ($1::uuid[] IS NULL OR EXISTS (SELECT 1 FROM schools s WHERE s."districtId" = d."districtId" AND s."schoolId" = ANY($1::uuid[])))
      AND ($4::uuid IS NULL OR d."districtId" = $4::uuid)`;
  return [districts, schools];
}

interface UserRow {
  userId: string;
  firstName: string;
  lastName: string | null;
  email: string | null;
  userName: string | null;
  /** To the microsecond, as stored (`modifiedSql`). */
  modified: string;
  status: 'active' | 'tobedeleted';
}

interface OrgRow {
  id: string;
  type: 'district' | 'school';
  name: string;
  identifier: string;
  parent: string | null;
  modified: string;
  status: 'active' | 'tobedeleted';
}

interface RoleRow {
  userId: string;
  role: Role;
  schoolId: string;
}

type Json = Record<string, unknown>;

const orgRef = (base: string, sourcedId: string) => ({ href: `${base}/orgs/${sourcedId}`, sourcedId, type: 'org' });

/** Keeps `fields` of an object (all of them when null), in the object's own order. */
function keepFields(object: Json, fields: readonly string[] | null): Json {
  return fields ? Object.fromEntries(Object.entries(object).filter(([key]) => fields.includes(key))) : object;
}

function presentUser(row: UserRow, roles: RoleRow[], base: string): Json {
  return {
    sourcedId: row.userId,
    status: row.status,
    dateLastModified: row.modified,
    ...(row.userName === null ? {} : { username: row.userName }),
    enabledUser: 'true',
    givenName: row.firstName,
    familyName: row.lastName ?? '',
    ...(row.email === null ? {} : { email: row.email }),
    roles: roles.map((link) => ({ roleType: 'primary', role: ONEROSTER_ROLE[link.role] ?? link.role, org: orgRef(base, link.schoolId) })),
  };
}

function presentOrg(row: OrgRow, base: string): Json {
  return {
    sourcedId: row.id,
    status: row.status,
    dateLastModified: row.modified,
    name: row.name,
    type: row.type,
    identifier: row.identifier,
    ...(row.parent === null ? {} : { parent: orgRef(base, row.parent) }),
  };
}

async function rowsOf<Row extends object>(sql: string, bind: unknown[]): Promise<Row[]> {
  return getSequelize().query<Row>(sql, { bind, type: QueryTypes.SELECT });
}

/**
 * `dateLastModified` as served: ISO 8601 in UTC to the microsecond PostgreSQL keeps (a JavaScript Date
 * keeps milliseconds), so that a delta pull from the last value seen does not see that record again.
 */
const MODIFIED = `to_char(x."dateLastModified" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS modified`;

/** The disjoint branches of a served set as one table (alias it). */
const union = (branches: string[]) => branches.join(' UNION ALL ');

/**
 * A page of the served set as the query asks, and the total count of the filtered set. Each branch is
 * filtered, sorted and cut to `offset + limit` on its own before the branches are merged: the planner
 * then walks each branch's index for the first pages instead of joining every row before sorting.
 */
async function selectPage<Row extends object>(branches: string[], spec: CollectionSpec, parameters: QueryParameters, fixed: unknown[]) {
  const query = parseCollectionQuery(parameters, spec, FIXED_BINDS + 1);
  const where = query.where.text;
  const bind = [...fixed, ...query.where.values, query.limit, query.offset];
  const [limit, offset] = [`$${bind.length - 1}::int`, `$${bind.length}::int`];
  const cut = (branch: string) => `(SELECT * FROM (${branch}) x WHERE ${where} ORDER BY ${query.orderBy} LIMIT ${limit}::bigint + ${offset})`;
  const rows = await rowsOf<Row>(`SELECT x.*, ${MODIFIED} FROM (${union(branches.map(cut))}) x ORDER BY ${query.orderBy} LIMIT ${limit} OFFSET ${offset}`, bind);
  const [{ total }] = await rowsOf<{ total: string }>(`SELECT count(*) AS total FROM (${union(branches)}) x WHERE ${where}`, [...fixed, ...query.where.values]);
  return { rows, total: Number(total), query };
}

/** The roles of a page's users within reach: one query, whatever the page size. */
async function rolesOf(userIds: string[], reach: ServedReach): Promise<Map<string, RoleRow[]>> {
  const byUser = new Map<string, RoleRow[]>(userIds.map((id) => [id, []]));
  if (userIds.length === 0) return byUser;
  const rows = await rowsOf<RoleRow>(
    `SELECT l."userUserId" AS "userId", l.role, s."schoolId" FROM user_schools l JOIN schools s ON s."schoolId" = l."schoolSchoolId"
     WHERE l."userUserId" = ANY($3::uuid[]) AND s."deletedAt" IS NULL AND ${schoolInReach('s')}
     ORDER BY l."userUserId", s."schoolId"`,
    [idsBind(reach.schools), idsBind(reach.districts), userIds],
  );
  for (const row of rows) byUser.get(row.userId)?.push(row);
  return byUser;
}

async function presentUsers(rows: UserRow[], fields: readonly string[] | null, reach: ServedReach, base: string): Promise<Json[]> {
  const roles = !fields || fields.includes('roles') ? await rolesOf(rows.map((row) => row.userId), reach) : new Map<string, RoleRow[]>();
  return rows.map((row) => keepFields(presentUser(row, roles.get(row.userId) ?? [], base), fields));
}

/**
 * A page of the users a OneRoster route serves (/users, /students, /teachers, and with `schoolId` a school's
 * students or teachers), as `UserDType` objects with their roles.
 * @throws OneRosterQueryError for a bad limit, offset, sort, orderBy, filter or fields
 * @throws NotFoundError when `schoolId` names no school the token reaches
 */
export async function listOneRosterUsers(
  input: { kind: UserKind; schoolId?: string; parameters: QueryParameters; reach: ServedReach; base: string },
): Promise<CollectionResult<Json>> {
  const fixed = fixedBinds(input.reach, input.schoolId ?? null);
  if (input.schoolId) {
    const [school] = await rowsOf<OrgRow>(`SELECT x.id FROM (${union(servedOrgsSql(false))}) x`, fixed);
    if (!school) throw new NotFoundError('No such school.');
  }
  const { rows, total, query } = await selectPage<UserRow>(servedUsersSql(input.kind), USERS, input.parameters, fixed);
  return { items: await presentUsers(rows, query.fields, input.reach, input.base), total, limit: query.limit, offset: query.offset };
}

/**
 * One user a OneRoster route serves (/users/{id}, /students/{id}, /teachers/{id}).
 * @throws NotFoundError when the route serves no such user to this token (unknown, erased, out of reach,
 * removed longer ago than the retention, or of another role)
 */
export async function getOneRosterUser(input: { kind: UserKind; sourcedId: string; parameters: QueryParameters; reach: ServedReach; base: string }): Promise<Json> {
  const fields = parseCollectionQuery({ fields: input.parameters.fields }, USERS).fields;
  const fixed = fixedBinds(input.reach, null);
  const rows = await rowsOf<UserRow>(`SELECT x.*, ${MODIFIED} FROM (${union(servedUsersSql(input.kind))}) x WHERE x."userId" = $${FIXED_BINDS + 1}::uuid`, [...fixed, input.sourcedId]);
  if (rows.length === 0) throw new NotFoundError(`No such ${input.kind === 'users' ? 'user' : input.kind.slice(0, -1)}.`);
  const [user] = await presentUsers(rows, fields, input.reach, input.base);
  return user;
}

/**
 * A page of the orgs a OneRoster route serves: districts and schools (/orgs) or schools alone (/schools).
 * @throws OneRosterQueryError for a bad limit, offset, sort, orderBy, filter or fields
 */
export async function listOneRosterOrgs(input: { schoolsOnly: boolean; parameters: QueryParameters; reach: ServedReach; base: string }): Promise<CollectionResult<Json>> {
  const { rows, total, query } = await selectPage<OrgRow>(servedOrgsSql(!input.schoolsOnly), ORGS, input.parameters, fixedBinds(input.reach, null));
  return { items: rows.map((row) => keepFields(presentOrg(row, input.base), query.fields)), total, limit: query.limit, offset: query.offset };
}

/**
 * One org a OneRoster route serves (/orgs/{id}: a district or a school; /schools/{id}: a school).
 * @throws NotFoundError when the route serves no such org to this token
 */
export async function getOneRosterOrg(input: { schoolsOnly: boolean; sourcedId: string; parameters: QueryParameters; reach: ServedReach; base: string }): Promise<Json> {
  const fields = parseCollectionQuery({ fields: input.parameters.fields }, ORGS).fields;
  const [row] = await rowsOf<OrgRow>(`SELECT x.*, ${MODIFIED} FROM (${union(servedOrgsSql(!input.schoolsOnly))}) x`, fixedBinds(input.reach, input.sourcedId));
  if (!row) throw new NotFoundError(`No such ${input.schoolsOnly ? 'school' : 'org'}.`);
  return keepFields(presentOrg(row, input.base), fields);
}
