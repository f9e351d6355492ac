import { randomUUID } from 'node:crypto';
import { handler as change } from '../../functions/change';
import { handler as link } from '../../functions/link';
import { handler as oneroster } from '../../functions/oneroster';
import { closeConnections } from '../../shared/db/sequelize';
import { ServiceUnavailableError } from '../../shared/errors';
import { httpHandler } from '../../shared/http/handler';
import { ONEROSTER_CORE_SCOPE, ONEROSTER_SCOPE } from '../../shared/http/routes';
import { runRosterSync } from '../../shared/roster/sync';
import { resetDatabase, withClient } from '../support/db';
import { createDistrict } from '../support/districts';
import { FULL_ACCESS_CLAIMS, invoke, type HttpReply } from '../support/events';
import { oneRosterAjv, oneRosterValidator } from '../support/oneroster-schemas';
import { roster11, smallDistrict11, writeRoster, type User11 } from '../support/roster';

const BASE = '/ims/oneroster/rostering/v1p2';
/** What the tests' events call: scripts/lambda-events.ts's API Gateway host, over https. */
const ORIGIN = 'https://abc123.execute-api.eu-west-1.amazonaws.com';
const CLAIMS = { ...FULL_ACCESS_CLAIMS, scope: ONEROSTER_CORE_SCOPE };

const ajv = oneRosterAjv();
const SCHEMA_OF = { users: 'UserSetDType', user: 'SingleUserDType', orgs: 'OrgSetDType', org: 'SingleOrgDType' } as const;

/**
 * The 1EdTech schema's errors for a body (none: valid). Every answer of these tests goes through it. With
 * `fields`, an object keeps only those (OneRoster's field selection), so only they can be required.
 */
function schemaErrors(reply: HttpReply, fields: string[] | undefined): unknown[] {
  const name = reply.status >= 400 ? 'imsx_StatusInfoDType' : SCHEMA_OF[Object.keys(reply.body)[0] as keyof typeof SCHEMA_OF];
  const validate = oneRosterValidator(ajv, name);
  if (validate(reply.body)) return [];
  // docs/oneroster.md: a `tobedeleted` user has lost their memberships and may carry `roles: []`, which the schema's
  // minItems 1 refuses; that, and only that, is allowed.
  return (validate.errors ?? []).filter((error) => {
    if (fields && error.keyword === 'required' && !fields.includes(error.params.missingProperty)) return false;
    const match = /^\/users?(?:\/(\d+))?\/roles$/.exec(error.instancePath);
    if (!match || error.keyword !== 'minItems') return true;
    const user = match[1] === undefined ? reply.body.user : reply.body.users[Number(match[1])];
    return user.status !== 'tobedeleted';
  });
}

async function get(path: string, query: Record<string, string> = {}, claims: Record<string, unknown> | null = CLAIMS): Promise<HttpReply> {
  const route = `GET ${BASE}${path.replace(/\/[0-9a-f-]{36}|\/not-a-uuid/g, '/{sourcedId}')}`;
  const id = /\/([0-9a-f-]{36}|not-a-uuid)/.exec(path)?.[1];
  const reply = await invoke(oneroster, { route, pathParameters: id ? { sourcedId: id } : undefined, query, claims });
  expect({ path, query, errors: schemaErrors(reply, query.fields?.split(',')) }).toEqual({ path, query, errors: [] });
  return reply;
}

const sourcedIds = (reply: HttpReply, envelope = 'users') => (reply.body[envelope] as Array<{ sourcedId: string }>).map((item) => item.sourcedId);
const statusInfo = (codeMinor: string, description: unknown = expect.any(String)) => ({
  imsx_codeMajor: 'failure',
  imsx_severity: 'error',
  imsx_description: description,
  imsx_CodeMinor: { imsx_codeMinorField: [{ imsx_codeMinorFieldName: 'TargetEndSystem', imsx_codeMinorFieldValue: codeMinor }] },
});

interface World {
  districtId: string;
  school1: string;
  school2: string;
  /** sourcedId in the roster → userId */
  users: Record<string, string>;
}

async function syncRoster(districtId: string, users: User11[], force = false) {
  const { orgs } = smallDistrict11();
  return runRosterSync({ districtId, source: writeRoster(roster11(orgs, users)), force });
}

async function world(): Promise<World> {
  const districtId = await createDistrict('Springfield District');
  await syncRoster(districtId, smallDistrict11().users);
  return withClient(async (c) => {
    const schools = await c.query(`SELECT "sourcedId", "schoolId" FROM schools WHERE "districtId" = $1`, [districtId]);
    const users = await c.query(`SELECT "sourcedId", "userId" FROM user_roster_identities WHERE "districtId" = $1`, [districtId]);
    const school = Object.fromEntries(schools.rows.map((r) => [r.sourcedId, r.schoolId as string]));
    return { districtId, school1: school['sch-1'], school2: school['sch-2'], users: Object.fromEntries(users.rows.map((r) => [r.sourcedId, r.userId as string])) };
  });
}

let w: World;
beforeEach(async () => {
  await resetDatabase();
  w = await world();
});
afterAll(closeConnections);

const orgRef = (id: string) => ({ href: `${ORIGIN}${BASE}/orgs/${id}`, sourcedId: id, type: 'org' });
const role = (name: string, schoolId: string) => ({ roleType: 'primary', role: name, org: orgRef(schoolId) });

describe('GET /users', () => {
  it('serves every user that holds a role, in sourcedId order, as 1EdTech UserDType objects with absolute org links', async () => {
    const reply = await get('/users');

    const dewey = w.users['u-3'];
    expect(reply.status).toBe(200);
    expect(reply.headers['X-Total-Count']).toBe('4');
    expect(sourcedIds(reply)).toEqual(Object.values(w.users).sort());
    expect(reply.body.users.find((u: { sourcedId: string }) => u.sourcedId === dewey)).toEqual({
      sourcedId: dewey,
      status: 'active',
      dateLastModified: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/),
      username: 'dlargo',
      enabledUser: 'true',
      givenName: 'Dewey',
      familyName: 'Largo',
      email: 'dewey@springfield.example',
      roles: [role('teacher', w.school1), role('teacher', w.school2)].sort((a, b) => a.org.sourcedId.localeCompare(b.org.sourcedId)),
    });
    // The service's administrator is OneRoster 1.2's siteAdministrator; the district-level role of the roster was not a school's.
    expect(reply.body.users.find((u: { sourcedId: string }) => u.sourcedId === w.users['u-4']).roles).toEqual([role('siteAdministrator', w.school1)]);
  });

  it('serves a guest lecturer as a teacher, and not a live user without any membership', async () => {
    const lecturer = await withClient(async (c) => (await c.query(`INSERT INTO users ("firstName") VALUES ('Gil') RETURNING "userId"`)).rows[0].userId as string);
    expect(sourcedIds(await get('/users'))).not.toContain(lecturer);
    await invoke(link, { route: 'PUT /schools/{schoolId}/users/{userId}', pathParameters: { schoolId: w.school2, userId: lecturer }, body: { role: 'guestLecturer' } });

    const reply = await get(`/users/${lecturer}`);
    expect(reply.body.user).toEqual({
      sourcedId: lecturer,
      status: 'active',
      dateLastModified: expect.any(String),
      enabledUser: 'true',
      givenName: 'Gil',
      familyName: '',
      roles: [role('teacher', w.school2)],
    });
    expect(sourcedIds(await get('/teachers'))).toContain(lecturer);
  });

  it('pages with limit and offset, with X-Total-Count and absolute first, prev, next and last links', async () => {
    const all = sourcedIds(await get('/users'));
    const first = await get('/users', { limit: '3' });
    const second = await get('/users', { limit: '3', offset: '3' });
    const beyond = await get('/users', { limit: '3', offset: '10' });

    expect([sourcedIds(first), sourcedIds(second), sourcedIds(beyond)]).toEqual([all.slice(0, 3), all.slice(3), []]);
    expect([first, second, beyond].map((r) => r.headers['X-Total-Count'])).toEqual(['4', '4', '4']);
    const url = (offset: number) => `${ORIGIN}${BASE}/users?limit=3&offset=${offset}`;
    expect(first.headers.Link).toBe(`<${url(0)}>; rel="first", <${url(3)}>; rel="next", <${url(3)}>; rel="last"`);
    expect(second.headers.Link).toBe(`<${url(0)}>; rel="first", <${url(0)}>; rel="prev", <${url(3)}>; rel="last"`);
  });

  it('sorts by an allowed field either way, sourcedId breaking ties, and refuses another with invaliddata', async () => {
    const byFamily = await get('/users', { sort: 'familyName', fields: 'familyName' });
    expect(byFamily.body.users.map((u: { familyName: string }) => u.familyName)).toEqual(['Krabappel', 'Largo', 'Simpson', 'Skinner']);
    const desc = await get('/users', { sort: 'givenName', orderBy: 'desc', fields: 'givenName' });
    expect(desc.body.users.map((u: { givenName: string }) => u.givenName)).toEqual(['Seymour', 'Edna', 'Dewey', 'Bart']);

    const refused = await get('/users', { sort: 'password' });
    expect({ status: refused.status, body: refused.body }).toEqual({ status: 400, body: statusInfo('invaliddata', 'sort must be one of: sourcedId, status, dateLastModified, username, givenName, familyName, email') });
  });

  it.each([
    [`familyName='Simpson'`, ['u-2']],
    [`familyName!='Simpson'`, ['u-1', 'u-3', 'u-4']],
    [`givenName>'Dewey'`, ['u-1', 'u-4']],
    [`givenName>='Dewey'`, ['u-1', 'u-3', 'u-4']],
    [`givenName<'Dewey'`, ['u-2']],
    [`givenName<='Dewey'`, ['u-2', 'u-3']],
    [`email~'SPRINGFIELD.example' AND username~'sk'`, ['u-4']],
    [`givenName='Bart' OR familyName='Largo'`, ['u-2', 'u-3']],
    [`status='tobedeleted'`, []],
    [`dateLastModified>'2000-01-01'`, ['u-1', 'u-2', 'u-3', 'u-4']],
  ])('filters %s', async (filter, expected) => {
    const reply = await get('/users', { filter });
    expect(sourcedIds(reply).sort()).toEqual(expected.map((id) => w.users[id]).sort());
    expect(reply.headers['X-Total-Count']).toBe(String(expected.length));
  });

  it('answers 400 invalid_filter_field for a field it cannot filter, a bad grammar or a bad date, naming no value', async () => {
    for (const filter of [`password='x'`, `givenName='Bart`, `givenName='a' AND familyName='b' OR email='c'`, `dateLastModified>'yesterday'`]) {
      const reply = await get('/users', { filter });
      expect({ filter, status: reply.status, body: reply.body }).toEqual({ filter, status: 400, body: statusInfo('invalid_filter_field') });
      expect(reply.body.imsx_description).not.toMatch(/Bart|yesterday/);
    }
  });

  it('keeps only the fields asked for, and answers 400 invalid_selection_field for an unknown one', async () => {
    const reply = await get('/users', { fields: 'sourcedId,givenName', filter: `givenName='Bart'` });
    expect(reply.body).toEqual({ users: [{ sourcedId: w.users['u-2'], givenName: 'Bart' }] });
    const single = await get(`/users/${w.users['u-2']}`, { fields: 'roles' });
    expect(single.body).toEqual({ user: { roles: [role('student', w.school1)] } });

    const refused = await get('/users', { fields: 'sourcedId,password' });
    expect({ status: refused.status, body: refused.body }).toEqual({ status: 400, body: statusInfo('invalid_selection_field') });
  });

  it('answers 400 invaliddata for a limit over 1,000 or an offset that is no number', async () => {
    for (const query of [{ limit: '1001' }, { limit: '0' }, { offset: '-1' }, { offset: 'x' }] as Record<string, string>[]) {
      const reply = await get('/users', query);
      expect({ query, status: reply.status, body: reply.body }).toEqual({ query, status: 400, body: statusInfo('invaliddata') });
    }
  });
});

describe('deletions and dateLastModified', () => {
  const userOf = async (id: string) => (await get(`/users/${id}`)).body.user;

  it('serves a user removed through the API as tobedeleted with roles [] and a later dateLastModified, and a delta pull sees it', async () => {
    const ada = await withClient(async (c) => (await c.query(`INSERT INTO users ("firstName", "lastName") VALUES ('Ada', 'Byron') RETURNING "userId"`)).rows[0].userId as string);
    await invoke(link, { route: 'PUT /schools/{schoolId}/users/{userId}', pathParameters: { schoolId: w.school1, userId: ada }, body: { role: 'student' } });
    const before = await userOf(ada);
    expect(sourcedIds(await get('/students'))).toContain(ada);

    expect((await invoke(change, { route: 'DELETE /users/{userId}', pathParameters: { userId: ada } })).status).toBe(204);

    const after = await userOf(ada);
    expect(after).toEqual({ ...before, status: 'tobedeleted', dateLastModified: expect.any(String), roles: [] });
    expect(after.dateLastModified > before.dateLastModified).toBe(true);
    const delta = await get('/users', { filter: `dateLastModified>'${before.dateLastModified}'` });
    expect(delta.body.users).toEqual([after]);
    expect(sourcedIds(await get('/students'))).not.toContain(ada);
  });

  it('serves a user a roster removed as tobedeleted, seen by a delta pull', async () => {
    const t0 = (await userOf(w.users['u-2'])).dateLastModified;
    const { users } = smallDistrict11();
    await syncRoster(w.districtId, users.filter((u) => u.sourcedId !== 'u-2'), true);

    const delta = await get('/users', { filter: `dateLastModified>'${t0}'` });
    expect(delta.body.users.map((u: { sourcedId: string; status: string }) => [u.sourcedId, u.status])).toEqual([[w.users['u-2'], 'tobedeleted']]);
    expect((await get('/users', { filter: `status='tobedeleted'` })).headers['X-Total-Count']).toBe('1');
  });

  it('moves a user\'s dateLastModified on a role change and on the removal of one of their memberships, and nobody else\'s', async () => {
    const dewey = w.users['u-3'];
    const t0 = (await userOf(dewey)).dateLastModified;
    const membership = { route: 'PUT /schools/{schoolId}/users/{userId}', pathParameters: { schoolId: w.school2, userId: dewey } };

    await invoke(link, { ...membership, body: { role: 'aide' } });
    const changed = await get('/users', { filter: `dateLastModified>'${t0}'` });
    expect(changed.body.users).toEqual([expect.objectContaining({ sourcedId: dewey, roles: expect.arrayContaining([role('aide', w.school2)]) })]);

    const t1 = changed.body.users[0].dateLastModified;
    await invoke(link, { ...membership, route: 'DELETE /schools/{schoolId}/users/{userId}' });
    const removed = await get('/users', { filter: `dateLastModified>'${t1}'` });
    expect(removed.body.users).toEqual([expect.objectContaining({ sourcedId: dewey, status: 'active', roles: [role('teacher', w.school1)] })]);
  });

  it('serves a school removed through the API as tobedeleted, and an erased user or a removal older than the retention not at all', async () => {
    expect((await invoke(change, { route: 'DELETE /schools/{schoolId}', pathParameters: { schoolId: w.school2 }, query: { erase: 'true' }, claims: { ...FULL_ACCESS_CLAIMS, scope: 'roster/erase' } })).status).toBe(204);
    const gone = await get(`/orgs/${w.school2}`);
    expect({ status: gone.status, body: gone.body }).toEqual({ status: 404, body: statusInfo('unknownobject', 'No such org.') });

    const school = await withClient(async (c) => (await c.query(`INSERT INTO schools (name, "deletedAt") VALUES ('Closed', now()) RETURNING "schoolId"`)).rows[0].schoolId as string);
    expect((await get(`/schools/${school}`)).body.org).toMatchObject({ sourcedId: school, status: 'tobedeleted', type: 'school', identifier: '' });

    const edna = w.users['u-1'];
    await withClient((c) => c.query(`UPDATE users SET "deletedAt" = now() - interval '31 days' WHERE "userId" = $1`, [edna]));
    await withClient((c) => c.query(`DELETE FROM user_schools WHERE "userUserId" = $1`, [edna]));
    expect((await get(`/users/${edna}`)).status).toBe(404);
    const seymour = w.users['u-4'];
    expect((await invoke(change, { route: 'DELETE /users/{userId}', pathParameters: { userId: seymour }, query: { erase: 'true' }, claims: { ...FULL_ACCESS_CLAIMS, scope: 'roster/erase' } })).status).toBe(204);
    const erased = await get(`/users/${seymour}`);
    expect({ status: erased.status, body: erased.body }).toEqual({ status: 404, body: statusInfo('unknownobject', 'No such user.') });
  });
});

describe('orgs, schools, students and teachers', () => {
  it('serves the district and its schools as orgs, each school with its district as parent', async () => {
    const reply = await get('/orgs', { sort: 'type' });
    const district = { sourcedId: w.districtId, status: 'active', dateLastModified: expect.any(String), name: 'Springfield District', type: 'district', identifier: '' };
    const school = (id: string, name: string, identifier: string) => ({ sourcedId: id, status: 'active', dateLastModified: expect.any(String), name, type: 'school', identifier, parent: orgRef(w.districtId) });
    expect(reply.body.orgs).toEqual([district, ...[school(w.school1, 'Springfield Elementary', 'SE-001'), school(w.school2, 'Springfield High', 'SH-002')].sort((a, b) => a.sourcedId.localeCompare(b.sourcedId))]);
    expect((await get(`/orgs/${w.districtId}`)).body).toEqual({ org: district });
    expect(sourcedIds(await get('/schools'), 'orgs').sort()).toEqual([w.school1, w.school2].sort());
    expect((await get(`/schools/${w.districtId}`)).status).toBe(404);
    expect(sourcedIds(await get('/orgs', { filter: `parent.sourcedId='${w.districtId}' AND name~'high'` }), 'orgs')).toEqual([w.school2]);
  });

  it("serves students and teachers, everywhere and in one school, and 404 for a user of another role or an unknown school", async () => {
    expect(sourcedIds(await get('/students'))).toEqual([w.users['u-2']]);
    expect(sourcedIds(await get('/teachers')).sort()).toEqual([w.users['u-1'], w.users['u-3']].sort());
    expect(sourcedIds(await get(`/schools/${w.school2}/teachers`))).toEqual([w.users['u-3']]);
    expect(sourcedIds(await get(`/schools/${w.school2}/students`))).toEqual([]);
    expect((await get(`/students/${w.users['u-2']}`)).body.user.givenName).toBe('Bart');
    const notStudent = await get(`/students/${w.users['u-1']}`);
    expect({ status: notStudent.status, body: notStudent.body }).toEqual({ status: 404, body: statusInfo('unknownobject', 'No such student.') });
    expect((await get(`/teachers/${w.users['u-1']}`)).status).toBe(200);
    const unknown = await get(`/schools/${randomUUID()}/students`);
    expect({ status: unknown.status, body: unknown.body }).toEqual({ status: 404, body: statusInfo('unknownobject', 'No such school.') });
  });

  it('answers 400 invaliddata for a sourcedId that is no UUID', async () => {
    const reply = await get('/users/not-a-uuid');
    expect({ status: reply.status, headers: reply.headers, body: reply.body }).toEqual({
      status: 400,
      headers: { 'Content-Type': 'application/json' },
      body: statusInfo('invaliddata', 'The request is not valid. sourcedId: must be a UUID (a sourcedId this service gave)'),
    });
  });
});

describe('who sees what', () => {
  it('admits roster.readonly as roster-core.readonly, and answers 403 forbidden in the imsx payload to other scopes', async () => {
    expect((await get('/users', {}, { ...FULL_ACCESS_CLAIMS, scope: ONEROSTER_SCOPE })).status).toBe(200);
    const refused = await get('/users', {}, { ...FULL_ACCESS_CLAIMS, scope: 'roster/read roster/admin' });
    expect({ status: refused.status, body: refused.body }).toEqual({
      status: 403,
      body: statusInfo('forbidden', `This route requires the scope ${ONEROSTER_CORE_SCOPE} or ${ONEROSTER_SCOPE}.`),
    });
  });

  it("serves a district-limited token its districts' records only, and a school-limited token its schools' alone", async () => {
    const other = await createDistrict('Shelbyville');
    const byDistrict = { ...CLAIMS, districts: [w.districtId] };
    expect((await get('/users', {}, byDistrict)).headers['X-Total-Count']).toBe('4');
    expect((await get('/orgs', {}, byDistrict)).headers['X-Total-Count']).toBe('3');
    expect((await get('/users', {}, { ...CLAIMS, districts: [other] })).headers['X-Total-Count']).toBe('0');
    expect(sourcedIds(await get('/orgs', {}, { ...CLAIMS, districts: [other] }), 'orgs')).toEqual([other]);

    const bySchool = { ...CLAIMS, schools: [w.school2] };
    const users = await get('/users', {}, bySchool);
    expect(users.body.users).toEqual([expect.objectContaining({ sourcedId: w.users['u-3'], roles: [role('teacher', w.school2)] })]);
    expect(sourcedIds(await get('/orgs', {}, bySchool), 'orgs').sort()).toEqual([w.districtId, w.school2].sort());
    expect((await get(`/users/${w.users['u-2']}`, {}, bySchool)).status).toBe(404);
    expect((await get(`/schools/${w.school1}/students`, {}, bySchool)).status).toBe(404);
    expect((await get('/users', {}, { ...CLAIMS, schools: ['not-a-uuid'] })).headers['X-Total-Count']).toBe('0');
  });

  it("shows a district-limited token its district's removed users, and a school-limited one none", async () => {
    await syncRoster(w.districtId, smallDistrict11().users.filter((u) => u.sourcedId !== 'u-2'), true);
    const removed = { filter: `status='tobedeleted'` };
    expect(sourcedIds(await get('/users', removed, { ...CLAIMS, districts: [w.districtId] }))).toEqual([w.users['u-2']]);
    expect(sourcedIds(await get('/users', removed, { ...CLAIMS, districts: [randomUUID()] }))).toEqual([]);
    expect(sourcedIds(await get('/users', removed, { ...CLAIMS, schools: [w.school1] }))).toEqual([]);
  });
});

describe('failures past the request', () => {
  // The middleware stack every function has, with a handler that fails as the database or a bug would.
  const failing = (error: Error) => httpHandler(async () => Promise.reject(error));
  const call = (error: Error) => invoke(failing(error), { route: `GET ${BASE}/users`, claims: CLAIMS });

  it('answers 503 server_busy with Retry-After when the database is unavailable', async () => {
    const reply = await call(new ServiceUnavailableError(2));
    expect(reply).toEqual({
      status: 503,
      headers: { 'Content-Type': 'application/json', 'Retry-After': '2' },
      body: statusInfo('server_busy', 'The database is unavailable; retry later.'),
    });
  });

  it('answers 500 internal_server_error and nothing of the error itself', async () => {
    const reply = await call(new Error('relation "users" does not exist at postgres://app:secret@db'));
    expect(reply).toEqual({ status: 500, headers: { 'Content-Type': 'application/json' }, body: statusInfo('internal_server_error', 'An unexpected error occurred.') });
    expect(oneRosterValidator(ajv, 'imsx_StatusInfoDType')(reply.body)).toBe(true);
  });
});
