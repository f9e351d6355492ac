import { handler as change } from '../../functions/change';
import { handler as createUser } from '../../functions/create-user';
import { handler as link } from '../../functions/link';
import { handler as list } from '../../functions/list';
import { closeConnections } from '../../shared/db/sequelize';
import { resetDatabase, withClient } from '../support/db';
import { FULL_ACCESS_CLAIMS, invoke, type HttpReply } from '../support/events';
import { apiSchool, apiUser, linkRows, softDelete } from '../support/fixtures';
import { createDistrict } from '../support/districts';
import { badRequest, problem } from '../support/problems';

const ERASER = { ...FULL_ACCESS_CLAIMS, scope: 'roster/erase' };

const patchUser = (userId: string, body: unknown, headers: Record<string, string> = {}) =>
  invoke(change, { route: 'PATCH /users/{userId}', pathParameters: { userId }, body, headers });
const patchSchool = (schoolId: string, body: unknown, headers: Record<string, string> = {}) =>
  invoke(change, { route: 'PATCH /schools/{schoolId}', pathParameters: { schoolId }, body, headers });
const deleteUser = (userId: string, headers: Record<string, string> = {}) =>
  invoke(change, { route: 'DELETE /users/{userId}', pathParameters: { userId }, headers });
const deleteSchool = (schoolId: string, headers: Record<string, string> = {}) =>
  invoke(change, { route: 'DELETE /schools/{schoolId}', pathParameters: { schoolId }, headers });
const eraseUser = (userId: string, headers: Record<string, string> = {}) =>
  invoke(change, { route: 'DELETE /users/{userId}', pathParameters: { userId }, query: { erase: 'true' }, headers, claims: ERASER });
const eraseSchool = (schoolId: string) =>
  invoke(change, { route: 'DELETE /schools/{schoolId}', pathParameters: { schoolId }, query: { erase: 'true' }, claims: ERASER });
const getUser = (userId: string) => invoke(list, { route: 'GET /users/{userId}', pathParameters: { userId } });
const getSchool = (schoolId: string) => invoke(list, { route: 'GET /schools/{schoolId}', pathParameters: { schoolId } });
const listUsers = () => invoke(list, { route: 'GET /users' });
const listSchools = () => invoke(list, { route: 'GET /schools' });
const linkUp = (schoolId: string, userId: string) => invoke(link, { route: 'PUT /schools/{schoolId}/users/{userId}', pathParameters: { schoolId, userId } });

const row = (sql: string, values: unknown[]) => withClient(async (c) => (await c.query(sql, values)).rows[0]);
const userRow = (userId: string) => row('SELECT * FROM users WHERE "userId" = $1', [userId]);
const schoolRow = (schoolId: string) => row('SELECT * FROM schools WHERE "schoolId" = $1', [schoolId]);
/** Puts a record in a district's roster, as a sync would: a held identity for a user, the district for a school. */
async function makeRosterManaged(table: 'users' | 'schools', id: string): Promise<string> {
  const districtId = await createDistrict('Springfield');
  await withClient(async (c) => {
    const sourcedId = `sis-${id.slice(0, 8)}`;
    if (table === 'users') {
      await c.query(`INSERT INTO user_roster_identities ("districtId", "sourcedId", "userId") VALUES ($1, $2, $3)`, [districtId, sourcedId, id]);
      await c.query(`UPDATE users SET "sourcedId" = $2, source = 'roster' WHERE "userId" = $1`, [id, sourcedId]);
    } else {
      await c.query(`UPDATE schools SET "sourcedId" = $2, "districtId" = $3 WHERE "schoolId" = $1`, [id, sourcedId, districtId]);
    }
  });
  return districtId;
}

const json = (reply: HttpReply) => ({ status: reply.status, body: reply.body });

beforeEach(resetDatabase);
afterAll(closeConnections);

describe('ETag', () => {
  it('is on POST, GET and PATCH of one record, strong, the same for the same version and new after each change', async () => {
    const created = await invoke(createUser, { route: 'POST /users', body: { firstName: 'Ada' } });
    const read = await getUser(created.body.userId);
    const patched = await patchUser(created.body.userId, { lastName: 'Lovelace' });
    const reread = await getUser(created.body.userId);

    expect(created.headers.ETag).toMatch(/^"\d+\.\d+"$/);
    expect(read.headers.ETag).toBe(created.headers.ETag);
    expect(patched.headers.ETag).toMatch(/^"\d+\.\d+"$/);
    expect(patched.headers.ETag).not.toBe(created.headers.ETag);
    expect(reread.headers.ETag).toBe(patched.headers.ETag);
    expect(reread.body).toEqual(patched.body);
  });

  it('changes when something other than the API writes the row, even within the same microsecond of updatedAt', async () => {
    const user = await apiUser({ firstName: 'Ada' });
    const before = (await getUser(user.userId)).headers.ETag;
    // A write that keeps updatedAt as it was (a migration, a roster run, a hand-made fix).
    await withClient((c) => c.query(`UPDATE users SET "lastName" = 'L' WHERE "userId" = $1`, [user.userId]));

    expect((await getUser(user.userId)).headers.ETag).not.toBe(before);
  });
});

describe('PATCH /users/{userId}', () => {
  it('applies a merge patch: absent fields kept, null clears, values trimmed; 200 with the user', async () => {
    const user = await apiUser({ firstName: 'Ada', lastName: 'Byron', email: 'ada@example.org', userName: 'ada' });

    const reply = await patchUser(user.userId, { lastName: ' Lovelace ', userName: null }, { 'content-type': 'application/merge-patch+json' });

    expect(reply).toEqual({
      status: 200,
      headers: { 'Content-Type': 'application/json', ETag: expect.stringMatching(/^"/) },
      body: { ...user, lastName: 'Lovelace', userName: null, updatedAt: expect.any(String) },
    });
    expect(Date.parse(reply.body.updatedAt)).toBeGreaterThan(Date.parse(user.updatedAt));
    expect(json(await getUser(user.userId))).toEqual({ status: 200, body: reply.body });
  });

  it('answers {} and a patch that changes nothing with the user as it was: updatedAt and ETag do not move', async () => {
    const user = await apiUser({ firstName: 'Ada', email: 'ada@example.org' });
    const etag = (await getUser(user.userId)).headers.ETag;

    for (const body of [{}, { firstName: 'Ada' }, { firstName: ' Ada ', email: 'ada@example.org', lastName: null }]) {
      const reply = await patchUser(user.userId, body);
      expect({ body, reply: json(reply), etag: reply.headers.ETag }).toEqual({ body, reply: { status: 200, body: user }, etag });
    }
    expect((await userRow(user.userId)).updatedAt.toISOString()).toBe(user.updatedAt);
  });

  it.each([
    ['a required field set to null', { firstName: null }, 'firstName'],
    ['a required field set blank', { firstName: '  ' }, 'firstName'],
    ['an unknown field', { nickname: 'Ada' }, 'nickname'],
    ['a field POST does not take', { sourcedId: 'x' }, 'sourcedId'],
    ['an invalid email', { email: 'not-an-email' }, 'email'],
    ['a wrong type', { lastName: 42 }, 'lastName'],
    ['an over-long value', { userName: 'u'.repeat(256) }, 'userName'],
  ])('answers 400 naming the field for %s, and changes nothing', async (_, body, path) => {
    const user = await apiUser({ firstName: 'Ada' });

    const reply = await patchUser(user.userId, body);

    expect(json(reply)).toEqual({ status: 400, body: badRequest(path) });
    expect(json(await getUser(user.userId))).toEqual({ status: 200, body: user });
  });

  it('answers 400 for a body that is not a JSON object, and 415 for a declared non-JSON type', async () => {
    const user = await apiUser({ firstName: 'Ada' });

    for (const body of ['[]', '"x"', 'null', '{"firstName":']) expect((await patchUser(user.userId, body)).status).toBe(400);
    expect((await patchUser(user.userId, 'firstName=Bo', { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(415);
    expect((await patchUser('not-a-uuid', {})).body).toEqual(badRequest('userId'));
  });

  it('answers 409 when the email (in any case) or userName is another live user’s, and changes nothing', async () => {
    await apiUser({ firstName: 'Grace', email: 'grace@example.org', userName: 'grace' });
    const user = await apiUser({ firstName: 'Ada' });

    expect(json(await patchUser(user.userId, { email: 'GRACE@example.org' }))).toEqual({
      status: 409,
      body: problem(409, 'Conflict', 'A user with this email already exists.'),
    });
    expect(json(await patchUser(user.userId, { userName: 'grace', lastName: 'L' }))).toEqual({
      status: 409,
      body: problem(409, 'Conflict', 'A user with this userName already exists.'),
    });
    expect(json(await getUser(user.userId))).toEqual({ status: 200, body: user });
  });

  it('takes a value a soft-deleted user held', async () => {
    const gone = await apiUser({ firstName: 'Grace', email: 'grace@example.org' });
    await softDelete('users', gone.userId);
    const user = await apiUser({ firstName: 'Ada' });

    expect((await patchUser(user.userId, { email: 'grace@example.org' })).status).toBe(200);
  });

  it('answers 404 for a missing or soft-deleted user', async () => {
    const user = await apiUser({ firstName: 'Ada' });
    await softDelete('users', user.userId);

    expect(json(await patchUser(user.userId, { lastName: 'L' }))).toEqual({ status: 404, body: problem(404, 'Not Found', `No user ${user.userId}.`) });
    expect((await patchUser('6f1c1c4e-4a6e-4f57-9a55-0c1c8e0d2b11', {})).status).toBe(404);
  });
});

describe('PATCH /schools/{schoolId}', () => {
  it('renames a school and clears its code', async () => {
    const school = await apiSchool({ name: 'Northside', code: 'N-1' });

    const reply = await patchSchool(school.schoolId, { name: 'Northside Primary', code: null });

    expect(json(reply)).toEqual({ status: 200, body: { ...school, name: 'Northside Primary', code: null, updatedAt: expect.any(String) } });
    expect(json(await getSchool(school.schoolId))).toEqual(json(reply));
  });

  it('answers 409 for a code another live school holds, 400 for a null name, 404 for a deleted school', async () => {
    await apiSchool({ name: 'Southside', code: 'S-1' });
    const school = await apiSchool({ name: 'Northside' });

    expect(json(await patchSchool(school.schoolId, { code: 'S-1' }))).toEqual({ status: 409, body: problem(409, 'Conflict', 'A school with this code already exists.') });
    expect(json(await patchSchool(school.schoolId, { name: null }))).toEqual({ status: 400, body: badRequest('name') });
    await softDelete('schools', school.schoolId);
    expect((await patchSchool(school.schoolId, { name: 'X' })).status).toBe(404);
  });
});

describe('If-Match', () => {
  it('applies a PATCH whose If-Match is the current ETag, `*`, or a list holding it', async () => {
    const user = await apiUser({ firstName: 'Ada' });
    let etag = (await getUser(user.userId)).headers.ETag;

    const listed = await patchUser(user.userId, { lastName: 'L1' }, { 'If-Match': `"0.0", ${etag}` });
    expect(listed.status).toBe(200);
    expect((await patchUser(user.userId, { lastName: 'L2' }, { 'If-Match': '*' })).status).toBe(200);
    etag = (await getUser(user.userId)).headers.ETag;
    expect(json(await patchUser(user.userId, { lastName: 'L3' }, { 'If-Match': etag }))).toMatchObject({ status: 200, body: { lastName: 'L3' } });
  });

  it('answers 412 for a stale or weak ETag on PATCH and DELETE, and changes nothing', async () => {
    const user = await apiUser({ firstName: 'Ada' });
    const stale = (await getUser(user.userId)).headers.ETag;
    const current = await patchUser(user.userId, { lastName: 'Lovelace' });

    for (const ifMatch of [stale, `W/${current.headers.ETag}`]) {
      expect(json(await patchUser(user.userId, { lastName: 'Byron' }, { 'If-Match': ifMatch }))).toEqual({
        status: 412,
        body: problem(412, 'Precondition Failed', `The user ${user.userId} has changed since that version was read; read it again.`),
      });
      expect((await deleteUser(user.userId, { 'If-Match': ifMatch })).status).toBe(412);
      expect((await eraseUser(user.userId, { 'If-Match': ifMatch })).status).toBe(412);
    }
    expect(json(await getUser(user.userId))).toEqual(json(current));
  });

  it('answers 400 naming the header for a value that is no entity-tag list', async () => {
    const user = await apiUser({ firstName: 'Ada' });

    for (const ifMatch of ['', 'abc', '"a" "b"', '"a",,x']) {
      const reply = await patchUser(user.userId, { lastName: 'L' }, { 'If-Match': ifMatch });
      expect({ ifMatch, reply: json(reply) }).toEqual({ ifMatch, reply: { status: 400, body: { ...badRequest('If-Match'), detail: 'The If-Match header is not valid.' } } });
    }
  });

  it('deletes with the current ETag, and answers 404 (not 412) once the user is gone', async () => {
    const user = await apiUser({ firstName: 'Ada' });
    const { ETag } = (await getUser(user.userId)).headers;

    expect((await deleteUser(user.userId, { 'If-Match': ETag })).status).toBe(204);
    expect((await deleteUser(user.userId, { 'If-Match': ETag })).status).toBe(404);
    expect((await patchUser(user.userId, {}, { 'If-Match': '*' })).status).toBe(404);
  });
});

describe('DELETE /users/{userId} and /schools/{schoolId}', () => {
  it('soft-deletes a user of many schools and ends every membership, at once: 204, then 404 and gone from every list', async () => {
    const user = await apiUser({ firstName: 'Ada', email: 'ada@example.org' });
    const other = await apiUser({ firstName: 'Grace' });
    const schools = await Promise.all(['A', 'B', 'C'].map((name) => apiSchool({ name })));
    for (const school of schools) {
      await linkUp(school.schoolId, user.userId);
      await linkUp(school.schoolId, other.userId);
    }

    expect(await deleteUser(user.userId)).toEqual({ status: 204, headers: {}, body: undefined });

    expect(json(await getUser(user.userId))).toEqual({ status: 404, body: problem(404, 'Not Found', `No user ${user.userId}.`) });
    expect((await listUsers()).body.items.map((u: { userId: string }) => u.userId)).toEqual([other.userId]);
    expect((await invoke(list, { route: 'GET /users/{userId}/schools', pathParameters: { userId: user.userId } })).status).toBe(404);
    for (const school of schools) {
      const members = await invoke(list, { route: 'GET /schools/{schoolId}/users', pathParameters: { schoolId: school.schoolId } });
      expect(members.body.items.map((u: { userId: string }) => u.userId)).toEqual([other.userId]);
    }
    expect((await linkRows()).map((l) => l.userUserId)).toEqual([other.userId, other.userId, other.userId]);
    expect((await userRow(user.userId)).deletedAt).toBeInstanceOf(Date);
    expect((await linkUp(schools[0].schoolId, user.userId)).status).toBe(404);
    // Its email is free again for a live user.
    expect((await apiUser({ firstName: 'Ada', email: 'ADA@example.org' })).email).toBe('ADA@example.org');
  });

  it('answers a second DELETE with 404, and DELETE of a missing record with 404', async () => {
    const user = await apiUser({ firstName: 'Ada' });
    const school = await apiSchool({ name: 'Northside' });

    expect((await deleteUser(user.userId)).status).toBe(204);
    expect(json(await deleteUser(user.userId))).toEqual({ status: 404, body: problem(404, 'Not Found', `No user ${user.userId}.`) });
    expect((await deleteSchool(school.schoolId)).status).toBe(204);
    expect(json(await deleteSchool(school.schoolId))).toEqual({ status: 404, body: problem(404, 'Not Found', `No school ${school.schoolId}.`) });
  });

  it('soft-deletes a school with its memberships, and frees its code', async () => {
    const school = await apiSchool({ name: 'Northside', code: 'N-1' });
    const users = await Promise.all(['Ada', 'Grace'].map((firstName) => apiUser({ firstName })));
    for (const user of users) await linkUp(school.schoolId, user.userId);

    expect((await deleteSchool(school.schoolId)).status).toBe(204);

    expect((await getSchool(school.schoolId)).status).toBe(404);
    expect((await listSchools()).body.items).toEqual([]);
    expect(await linkRows()).toEqual([]);
    for (const user of users) expect((await invoke(list, { route: 'GET /users/{userId}/schools', pathParameters: { userId: user.userId } })).body.items).toEqual([]);
    expect((await apiSchool({ name: 'New Northside', code: 'N-1' })).code).toBe('N-1');
  });

  it('answers 400 for an erase flag that is not true or false, or another query parameter', async () => {
    const user = await apiUser({ firstName: 'Ada' });

    for (const query of [{ erase: 'yes' }, { hard: 'true' }] as Record<string, string>[]) {
      const reply = await invoke(change, { route: 'DELETE /users/{userId}', pathParameters: { userId: user.userId }, query });
      expect(reply.status).toBe(400);
    }
    expect((await invoke(change, { route: 'DELETE /users/{userId}', pathParameters: { userId: user.userId }, query: { erase: 'false' } })).status).toBe(204);
  });
});

describe('a record the roster manages', () => {
  it('refuses a PATCH that changes a field the roster supplies, and a plain DELETE, with 409 naming the owner', async () => {
    const user = await apiUser({ firstName: 'Ada', email: 'ada@example.org' });
    const school = await apiSchool({ name: 'Northside' });
    const userDistrict = await makeRosterManaged('users', user.userId);
    const schoolDistrict = await makeRosterManaged('schools', school.schoolId);
    const owner = (districtId: string) => `the roster of district "Springfield" (${districtId})`;
    const before = { user: await userRow(user.userId), school: await schoolRow(school.schoolId) };

    for (const body of [{ firstName: 'Bo' }, { lastName: 'L' }, { email: 'b@example.org' }, { userName: 'ada' }, { email: null }]) {
      const field = Object.keys(body)[0];
      expect({ body, reply: json(await patchUser(user.userId, body)) }).toEqual({
        body,
        reply: { status: 409, body: problem(409, 'Conflict', `The user ${user.userId} is managed by ${owner(userDistrict)}, which supplies ${field}: change it in the SIS.`) },
      });
    }
    expect(json(await patchSchool(school.schoolId, { code: 'N-1' }))).toEqual({
      status: 409,
      body: problem(409, 'Conflict', `The school ${school.schoolId} is managed by ${owner(schoolDistrict)}, which supplies code: change it in the SIS.`),
    });
    expect(json(await deleteUser(user.userId))).toEqual({
      status: 409,
      body: problem(409, 'Conflict', `The user ${user.userId} is managed by ${owner(userDistrict)}: remove it there, or erase it.`),
    });
    expect((await deleteSchool(school.schoolId)).status).toBe(409);
    expect({ user: await userRow(user.userId), school: await schoolRow(school.schoolId) }).toEqual(before);
  });

  it('lets a user whose identities were all released be changed and removed through the API', async () => {
    const user = await apiUser({ firstName: 'Ada' });
    await makeRosterManaged('users', user.userId);
    await withClient((c) => c.query(`UPDATE user_roster_identities SET "releasedAt" = now() WHERE "userId" = $1`, [user.userId]));

    expect((await patchUser(user.userId, { lastName: 'L' })).status).toBe(200);
    expect((await deleteUser(user.userId)).status).toBe(204);
  });

  it('answers a patch that changes none of its fields with 200', async () => {
    const user = await apiUser({ firstName: 'Ada' });
    await makeRosterManaged('users', user.userId);

    expect((await patchUser(user.userId, { firstName: 'Ada', lastName: null })).status).toBe(200);
  });
});

describe('DELETE ?erase=true', () => {
  it('erases a live, a soft-deleted and a roster-managed user: the row and their memberships; then 404', async () => {
    const school = await apiSchool({ name: 'Northside' });
    const users = await Promise.all(['Ada', 'Grace', 'Edsger'].map((firstName) => apiUser({ firstName })));
    for (const user of users) await linkUp(school.schoolId, user.userId);
    await deleteUser(users[1].userId);
    await makeRosterManaged('users', users[2].userId);

    for (const user of users) {
      expect(await eraseUser(user.userId)).toEqual({ status: 204, headers: {}, body: undefined });
      expect(await userRow(user.userId)).toBeUndefined();
      expect(json(await eraseUser(user.userId))).toEqual({ status: 404, body: problem(404, 'Not Found', `No user ${user.userId}.`) });
    }
    expect(await linkRows()).toEqual([]);
  });

  it('erases a school with its memberships, whatever its state', async () => {
    const school = await apiSchool({ name: 'Northside' });
    const user = await apiUser({ firstName: 'Ada' });
    await linkUp(school.schoolId, user.userId);
    await makeRosterManaged('schools', school.schoolId);

    expect((await eraseSchool(school.schoolId)).status).toBe(204);
    expect(await schoolRow(school.schoolId)).toBeUndefined();
    expect(await linkRows()).toEqual([]);
    expect((await eraseSchool(school.schoolId)).status).toBe(404);
  });

  it('needs roster/erase: roster/write alone answers 403 and erases nothing', async () => {
    const user = await apiUser({ firstName: 'Ada' });

    const reply = await invoke(change, { route: 'DELETE /users/{userId}', pathParameters: { userId: user.userId }, query: { erase: 'true' } });

    expect(json(reply)).toEqual({ status: 403, body: problem(403, 'Forbidden', 'This request requires the scope roster/erase.') });
    expect(await userRow(user.userId)).toBeDefined();
  });
});
