import { handler as link } from '../../functions/link';
import { closeConnections } from '../../shared/db/sequelize';
import { resetDatabase, withClient } from '../support/db';
import { invoke } from '../support/events';
import { badRequest } from '../support/problems';
import { apiSchool, apiUser, linkRows, softDelete } from '../support/fixtures';

const MISSING_ID = '6f1c1c4e-4a6e-4f57-9a55-0c1c8e0d2b11';
const ROUTE = '{schoolId}/users/{userId}';
const put = (schoolId: string, userId: string, body?: unknown, headers?: Record<string, string>) =>
  invoke(link, { route: `PUT /schools/${ROUTE}`, pathParameters: { schoolId, userId }, body, headers });
const del = (schoolId: string, userId: string) => invoke(link, { route: `DELETE /schools/${ROUTE}`, pathParameters: { schoolId, userId } });

let user: { userId: string };
let school: { schoolId: string };

beforeEach(async () => {
  await resetDatabase();
  user = await apiUser({ firstName: 'Ada', lastName: 'Lovelace' });
  school = await apiSchool({ name: 'Analytical Academy' });
});
afterAll(closeConnections);

describe('PUT /schools/{schoolId}/users/{userId}', () => {
  it('creates the link and answers 201 with the membership and its Location', async () => {
    const reply = await put(school.schoolId, user.userId, { role: 'principal' });

    expect(reply.status).toBe(201);
    expect(reply.headers.Location).toBe(`/schools/${school.schoolId}/users/${user.userId}`);
    expect(reply.body).toEqual({
      userId: user.userId,
      schoolId: school.schoolId,
      role: 'principal',
      source: 'api',
      createdAt: expect.any(String),
      updatedAt: reply.body.createdAt,
    });
  });

  it('gives a new link without a body the database default role, teacher', async () => {
    const reply = await put(school.schoolId, user.userId);

    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ role: 'teacher', source: 'api' });
  });

  it('answers 200 with the unchanged membership when the link exists and no role is named', async () => {
    const first = await put(school.schoolId, user.userId, { role: 'aide' });

    const again = await put(school.schoolId, user.userId);
    const withEmptyBody = await put(school.schoolId, user.userId, {});

    expect(again).toMatchObject({ status: 200, body: first.body });
    expect(withEmptyBody).toMatchObject({ status: 200, body: first.body });
    expect(again.headers.Location).toBeUndefined();
  });

  it('answers 200 and leaves updatedAt alone when the body names the role the link already has', async () => {
    const first = await put(school.schoolId, user.userId, { role: 'aide' });
    const stored = await linkRows();

    const again = await put(school.schoolId, user.userId, { role: 'aide' });

    expect(again).toMatchObject({ status: 200, body: first.body });
    // The row itself, not only the answer: a no-op update that still bumped updatedAt would show here.
    expect(await linkRows()).toEqual(stored);
  });

  it('changes the role of an existing link, moving updatedAt but not createdAt', async () => {
    const first = await put(school.schoolId, user.userId, { role: 'teacher' });

    const changed = await put(school.schoolId, user.userId, { role: 'guestLecturer' });

    expect(changed.status).toBe(200);
    expect(changed.body).toEqual({ ...first.body, role: 'guestLecturer', updatedAt: expect.any(String) });
    expect(Date.parse(changed.body.updatedAt)).toBeGreaterThan(Date.parse(first.body.updatedAt));
    expect(await linkRows()).toHaveLength(1);
  });

  it('keeps the source of a link the roster created when the API changes its role', async () => {
    await withClient((c) =>
      c.query(`INSERT INTO user_schools ("userUserId", "schoolSchoolId", "role", "source") VALUES ($1, $2, 'student', 'roster')`, [
        user.userId,
        school.schoolId,
      ]),
    );

    const reply = await put(school.schoolId, user.userId, { role: 'aide' });

    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ role: 'aide', source: 'roster' });
  });

  it.each([
    ['user', () => MISSING_ID, () => school.schoolId, `No user ${MISSING_ID}.`],
    ['school', () => user.userId, () => MISSING_ID, `No school ${MISSING_ID}.`],
  ])('answers 404 naming the missing %s, and stores nothing', async (_, userId, schoolId, detail) => {
    const reply = await put(schoolId(), userId(), { role: 'aide' });

    expect(reply.status).toBe(404);
    expect(reply.headers['Content-Type']).toBe('application/problem+json');
    expect(reply.body).toEqual({ type: 'about:blank', title: 'Not Found', status: 404, detail, requestId: expect.any(String) });
    expect(await linkRows()).toEqual([]);
  });

  it('answers 404 for a soft-deleted user or school and gives it no link', async () => {
    const gone = await apiUser({ firstName: 'Gone' });
    const closed = await apiSchool({ name: 'Closed' });
    await softDelete('users', gone.userId);
    await softDelete('schools', closed.schoolId);

    const goneUser = await put(school.schoolId, gone.userId);
    const closedSchool = await put(closed.schoolId, user.userId);

    expect(goneUser.body).toMatchObject({ status: 404, detail: `No user ${gone.userId}.` });
    expect(closedSchool.body).toMatchObject({ status: 404, detail: `No school ${closed.schoolId}.` });
    expect(await linkRows()).toEqual([]);
  });

  it('does not change the role of an existing link of a soft-deleted user', async () => {
    await put(school.schoolId, user.userId, { role: 'aide' });
    await softDelete('users', user.userId);

    const reply = await put(school.schoolId, user.userId, { role: 'principal' });

    expect(reply.status).toBe(404);
    expect(await linkRows()).toEqual([expect.objectContaining({ role: 'aide' })]);
  });

  it.each([
    ['a school id that is not a UUID', () => ['42', user.userId], undefined, 'schoolId'],
    ['a user id that is not a UUID', () => [school.schoolId, 'x'], undefined, 'userId'],
    ['a role outside the list', () => [school.schoolId, user.userId], { role: 'janitor' }, 'role'],
    ['a role of the wrong type', () => [school.schoolId, user.userId], { role: 7 }, 'role'],
    ['an unknown field', () => [school.schoolId, user.userId], { role: 'aide', admin: true }, 'admin'],
  ])('answers 400 naming the field for %s, and stores nothing', async (_, ids, body, path) => {
    const [schoolId, userId] = ids();

    const reply = await put(schoolId, userId, body);

    expect(reply.status).toBe(400);
    expect(reply.body).toEqual(badRequest(path));
    expect(await linkRows()).toEqual([]);
  });

  it('answers 400 for malformed JSON and 415 for a non-JSON body', async () => {
    const malformed = await put(school.schoolId, user.userId, '{"role":');
    const form = await put(school.schoolId, user.userId, 'role=aide', { 'Content-Type': 'application/x-www-form-urlencoded' });

    expect([malformed.status, form.status]).toEqual([400, 415]);
    expect(await linkRows()).toEqual([]);
  });

  it('answers 400 for a JSON body that is not an object', async () => {
    for (const body of ['null', '[]', '"aide"']) {
      const reply = await put(school.schoolId, user.userId, body);
      expect({ body, status: reply.status }).toEqual({ body, status: 400 });
    }
  });
});

describe('DELETE /schools/{schoolId}/users/{userId}', () => {
  it('removes the link and answers 204 with no body', async () => {
    const other = await apiSchool({ name: 'Other' });
    await put(school.schoolId, user.userId);
    await put(other.schoolId, user.userId);

    const reply = await del(school.schoolId, user.userId);

    expect(reply).toEqual({ status: 204, headers: {}, body: undefined });
    expect(await linkRows()).toEqual([expect.objectContaining({ schoolSchoolId: other.schoolId })]);
  });

  it('removes a link the roster created', async () => {
    await withClient((c) =>
      c.query(`INSERT INTO user_schools ("userUserId", "schoolSchoolId", "source") VALUES ($1, $2, 'roster')`, [user.userId, school.schoolId]),
    );

    expect((await del(school.schoolId, user.userId)).status).toBe(204);
    expect(await linkRows()).toEqual([]);
  });

  it('answers 404 when the user is not a member of the school, so a second DELETE is a 404', async () => {
    await put(school.schoolId, user.userId);
    await del(school.schoolId, user.userId);

    const reply = await del(school.schoolId, user.userId);

    expect(reply.status).toBe(404);
    expect(reply.body).toMatchObject({ status: 404, detail: `User ${user.userId} is not a member of school ${school.schoolId}.` });
  });

  it('answers 404 naming a missing user or school', async () => {
    expect((await del(school.schoolId, MISSING_ID)).body).toMatchObject({ status: 404, detail: `No user ${MISSING_ID}.` });
    expect((await del(MISSING_ID, user.userId)).body).toMatchObject({ status: 404, detail: `No school ${MISSING_ID}.` });
  });

  it('answers 404 for a soft-deleted school and keeps its links', async () => {
    await put(school.schoolId, user.userId);
    await softDelete('schools', school.schoolId);

    const reply = await del(school.schoolId, user.userId);

    expect(reply.body).toMatchObject({ status: 404, detail: `No school ${school.schoolId}.` });
    expect(await linkRows()).toHaveLength(1);
  });

  it('answers 400 for an id that is not a UUID', async () => {
    const reply = await del('not-a-uuid', user.userId);

    expect(reply.status).toBe(400);
    expect(reply.body.errors).toEqual([{ path: 'schoolId', message: 'must be a UUID' }]);
  });
});
