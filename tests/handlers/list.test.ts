import { handler as link } from '../../functions/link';
import { handler as list } from '../../functions/list';
import { MemberSchema, SchoolOfUserSchema, SchoolSchema, UserSchema, encodeCursor, pageOf } from '../../shared/schemas';
import { closeConnections } from '../../shared/db/sequelize';
import { resetDatabase, withClient } from '../support/db';
import { invoke, type HttpReply } from '../support/events';
import { apiSchool, apiUser, softDelete } from '../support/fixtures';
import { recordQueries } from '../support/queries';
import { badRequest } from '../support/problems';
import { runRosterSync } from '../../shared/roster/sync';
import { createDistrict } from '../support/districts';
import { roster11, writeRoster } from '../support/roster';

const MISSING_ID = '6f1c1c4e-4a6e-4f57-9a55-0c1c8e0d2b11';

const get = (route: string, query?: Record<string, string>, pathParameters?: Record<string, string>) =>
  invoke(list, { route: `GET ${route}`, query, pathParameters });
const listUsers = (query?: Record<string, string>) => get('/users', query);
const listSchools = (query?: Record<string, string>) => get('/schools', query);
const listMembers = (schoolId: string, query?: Record<string, string>) => get('/schools/{schoolId}/users', query, { schoolId });
const listSchoolsOf = (userId: string, query?: Record<string, string>) => get('/users/{userId}/schools', query, { userId });
const put = (schoolId: string, userId: string, role?: string) =>
  invoke(link, { route: 'PUT /schools/{schoolId}/users/{userId}', pathParameters: { schoolId, userId }, body: role ? { role } : undefined });

/** Follows nextCursor to the end and returns every item, checking each page against `limit`. */
async function walk(fetch: (query: Record<string, string>) => Promise<HttpReply>, limit: number, extra: Record<string, string> = {}) {
  const items: any[] = [];
  let cursor: string | null = null;
  do {
    const reply = await fetch({ ...extra, limit: String(limit), ...(cursor ? { cursor } : {}) });
    expect(reply.status).toBe(200);
    expect(reply.body.items.length).toBeLessThanOrEqual(limit);
    items.push(...reply.body.items);
    cursor = reply.body.nextCursor;
  } while (cursor);
  return items;
}

/** Inserts `count` live users named Bulk/NNNN in one statement. */
const seedUsers = (count: number) =>
  withClient((c) =>
    c.query(`INSERT INTO users ("firstName", "lastName") SELECT 'Bulk', lpad(i::text, 4, '0') FROM generate_series(1, $1) AS i`, [count]),
  );


beforeEach(resetDatabase);
afterAll(closeConnections);

describe('GET /users', () => {
  it('answers an empty page when there are no users', async () => {
    expect(await listUsers()).toMatchObject({ status: 200, body: { items: [], nextCursor: null } });
  });

  it('lists live users by lastName, firstName and userId, users without a lastName last', async () => {
    const noLast = await apiUser({ firstName: 'Cher' });
    const babbage = await apiUser({ firstName: 'Charles', lastName: 'Babbage' });
    const adaL = await apiUser({ firstName: 'Ada', lastName: 'Lovelace' });
    const twin1 = await apiUser({ firstName: 'Byron', lastName: 'Lovelace' });
    const twin2 = await apiUser({ firstName: 'Byron', lastName: 'Lovelace' });
    const alsoNoLast = await apiUser({ firstName: 'Adele' });
    const deleted = await apiUser({ firstName: 'Aaron', lastName: 'Aardvark' });
    await softDelete('users', deleted.userId);
    const [twinA, twinB] = [twin1, twin2].sort((a, b) => (a.userId < b.userId ? -1 : 1));

    const reply = await listUsers();

    expect(reply.status).toBe(200);
    expect(reply.headers['Content-Type']).toBe('application/json');
    expect(reply.body).toEqual({ items: [babbage, adaL, twinA, twinB, alsoNoLast, noLast], nextCursor: null });
    expect(pageOf(UserSchema).parse(reply.body)).toEqual(reply.body);
  });

  it('walks every user exactly once, in order, page by page across the NULL lastName boundary', async () => {
    await seedUsers(25);
    await withClient((c) => c.query(`INSERT INTO users ("firstName") SELECT 'Nameless' || i FROM generate_series(10, 16) AS i`));
    const everyone = (await listUsers({ limit: '200' })).body.items;

    const walked = await walk(listUsers, 3);

    expect(everyone).toHaveLength(32);
    expect(walked).toEqual(everyone);
    expect(everyone.slice(-7).map((u: any) => u.firstName)).toEqual(['Nameless10', 'Nameless11', 'Nameless12', 'Nameless13', 'Nameless14', 'Nameless15', 'Nameless16']);
  });

  it('answers 50 users by default and says there are more', async () => {
    await seedUsers(51);

    const first = await listUsers();
    const second = await listUsers({ cursor: first.body.nextCursor });

    expect(first.body.items).toHaveLength(50);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    expect(second.body).toEqual({ items: [expect.objectContaining({ lastName: '0051' })], nextCursor: null });
  });

  it('answers no nextCursor when the last page is exactly full', async () => {
    await seedUsers(4);

    const page = await listUsers({ limit: '4' });

    expect(page.body.items).toHaveLength(4);
    expect(page.body.nextCursor).toBeNull();
  });

  it('filters by email case-insensitively and exactly', async () => {
    const ada = await apiUser({ firstName: 'Ada', email: 'ada@example.org' });
    await apiUser({ firstName: 'Adam', email: 'ada@example.org.uk' });

    const reply = await listUsers({ email: 'ADA@Example.ORG' });

    expect(reply.body).toEqual({ items: [ada], nextCursor: null });
  });

  it('filters by a case-insensitive prefix of the first name, the last name or the email', async () => {
    const byFirst = await apiUser({ firstName: 'Margaret', lastName: 'Hamilton' });
    const byLast = await apiUser({ firstName: 'Grace', lastName: 'Marsh' });
    const byEmail = await apiUser({ firstName: 'Kat', lastName: 'Johnson', email: 'mar@example.org' });
    await apiUser({ firstName: 'Ada', lastName: 'Lovelace', email: 'ada@mars.example' });

    const reply = await listUsers({ q: 'mAr' });

    expect(reply.body).toEqual({ items: [byFirst, byEmail, byLast], nextCursor: null });
  });

  it('reads LIKE wildcards in q literally', async () => {
    const percent = await apiUser({ firstName: '100%', lastName: 'Sure' });
    await apiUser({ firstName: '1000', lastName: 'Sure' });
    await apiUser({ firstName: 'Plain' });

    expect((await listUsers({ q: '100%' })).body.items).toEqual([percent]);
    expect((await listUsers({ q: '_' })).body.items).toEqual([]);
    expect((await listUsers({ q: '%' })).body.items).toEqual([]);
  });

  it('pages through a filtered list', async () => {
    await seedUsers(9);
    await apiUser({ firstName: 'Other', lastName: 'Person' });

    const walked = await walk(listUsers, 2, { q: 'bulk' });

    expect(walked.map((u: any) => u.lastName)).toEqual(['0001', '0002', '0003', '0004', '0005', '0006', '0007', '0008', '0009']);
  });

  it('runs one query whatever the page size', async () => {
    await seedUsers(150);

    const { result, queries } = await recordQueries(() => listUsers({ limit: '200', q: 'b' }));

    expect(result.body.items).toHaveLength(150);
    expect(queries).toHaveLength(1);
  });

  it.each([
    ['a limit of 0', { limit: '0' }, 'limit'],
    ['a limit of 201', { limit: '201' }, 'limit'],
    ['a limit that is not an integer', { limit: '1.5' }, 'limit'],
    ['a limit that is not a number', { limit: 'ten' }, 'limit'],
    ['an empty q', { q: '  ' }, 'q'],
    ['a q over 255 characters', { q: 'a'.repeat(256) }, 'q'],
    ['a q with a NUL character', { q: 'a\u0000' }, 'q'],
    ['an unknown parameter', { sort: 'email' }, 'sort'],
  ])('answers 400 naming the parameter for %s', async (_, query, path) => {
    const reply = await listUsers(query);

    expect(reply.status).toBe(400);
    expect(reply.body).toEqual(badRequest(path));
  });

  it.each([
    ['text that is not base64url', 'not a cursor!'],
    ['base64url that is not JSON', Buffer.from('{"lastName":').toString('base64url')],
    ['JSON of another shape', Buffer.from(JSON.stringify({ offset: 100 })).toString('base64url')],
    ['a schools cursor', encodeCursor({ name: 'Analytical Academy', schoolId: MISSING_ID })],
    ['a key with a NUL character', encodeCursor({ lastName: '\u0000', firstName: 'A', userId: MISSING_ID })],
    ['a key that is not a UUID', Buffer.from(JSON.stringify({ lastName: null, firstName: 'A', userId: "1' OR 1=1" })).toString('base64url')],
    ['an over-long cursor', 'A'.repeat(2000)],
  ])('answers 400 for a cursor that is %s', async (_, cursor) => {
    const reply = await listUsers({ cursor });

    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({ ...badRequest('cursor'), errors: [{ path: 'cursor', message: 'is not a cursor this list issued' }] });
  });
});

describe('GET /schools', () => {
  it('lists live schools by name then schoolId, page by page', async () => {
    const names = ['Zenith', 'Analytical Academy', 'Babbage High', 'Analytical Academy', 'Lovelace Prep'];
    const schools = [];
    for (const name of names) schools.push(await apiSchool({ name }));
    const closed = await apiSchool({ name: 'Closed' });
    await softDelete('schools', closed.schoolId);
    const expected = [...schools].sort((a, b) => (a.name === b.name ? (a.schoolId < b.schoolId ? -1 : 1) : a.name < b.name ? -1 : 1));

    const all = await listSchools();
    const walked = await walk(listSchools, 2);

    expect(all.body).toEqual({ items: expected, nextCursor: null });
    expect(pageOf(SchoolSchema).parse(all.body)).toEqual(all.body);
    expect(walked).toEqual(expected);
  });

  it('answers 400 for a users cursor and for a filter it does not have', async () => {
    const cursor = encodeCursor({ lastName: null, firstName: 'A', userId: MISSING_ID });

    expect((await listSchools({ cursor })).body).toEqual({ ...badRequest('cursor'), errors: [{ path: 'cursor', message: 'is not a cursor this list issued' }] });
    expect((await listSchools({ q: 'a' })).body).toEqual(badRequest('q'));
  });
});

describe('GET /schools/{schoolId}/users', () => {
  it('lists the live members in user order, each with its role and since', async () => {
    const school = await apiSchool({ name: 'Analytical Academy' });
    const otherSchool = await apiSchool({ name: 'Other' });
    const ada = await apiUser({ firstName: 'Ada', lastName: 'Lovelace' });
    const charles = await apiUser({ firstName: 'Charles', lastName: 'Babbage' });
    const outsider = await apiUser({ firstName: 'Out', lastName: 'Sider' });
    const gone = await apiUser({ firstName: 'Gone', lastName: 'Away' });
    const adaLink = (await put(school.schoolId, ada.userId, 'principal')).body;
    const charlesLink = (await put(school.schoolId, charles.userId)).body;
    await put(school.schoolId, gone.userId);
    await put(otherSchool.schoolId, outsider.userId);
    await softDelete('users', gone.userId);

    const reply = await listMembers(school.schoolId);

    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      // Linking moved each user's updatedAt to the link's transaction (docs/decisions/0021).
      items: [
        { ...charles, updatedAt: charlesLink.createdAt, membership: { role: 'teacher', since: charlesLink.createdAt } },
        { ...ada, updatedAt: adaLink.createdAt, membership: { role: 'principal', since: adaLink.createdAt } },
      ],
      nextCursor: null,
    });
    expect(pageOf(MemberSchema).parse(reply.body)).toEqual(reply.body);
  });

  it('keeps since at the link creation when the role changes', async () => {
    const school = await apiSchool({ name: 'Analytical Academy' });
    const ada = await apiUser({ firstName: 'Ada' });
    const created = (await put(school.schoolId, ada.userId, 'aide')).body;
    await put(school.schoolId, ada.userId, 'principal');

    const reply = await listMembers(school.schoolId);

    expect(reply.body.items[0].membership).toEqual({ role: 'principal', since: created.createdAt });
  });

  it('filters by role and pages through the filtered list', async () => {
    const school = await apiSchool({ name: 'Analytical Academy' });
    await seedUsers(12);
    await withClient((c) =>
      c.query(
        `INSERT INTO user_schools ("userUserId", "schoolSchoolId", "role")
         SELECT "userId", $1, CASE WHEN "lastName"::int % 3 = 0 THEN 'student' ELSE 'teacher' END FROM users`,
        [school.schoolId],
      ),
    );

    const students = await walk((query) => listMembers(school.schoolId, query), 2, { role: 'student' });

    expect(students.map((u: any) => [u.lastName, u.membership.role])).toEqual([
      ['0003', 'student'],
      ['0006', 'student'],
      ['0009', 'student'],
      ['0012', 'student'],
    ]);
  });

  it('runs two queries, an existence check and one page, whatever the page size', async () => {
    const school = await apiSchool({ name: 'Analytical Academy' });
    await seedUsers(150);
    await withClient((c) => c.query(`INSERT INTO user_schools ("userUserId", "schoolSchoolId") SELECT "userId", $1 FROM users`, [school.schoolId]));

    const small = await recordQueries(() => listMembers(school.schoolId, { limit: '1' }));
    const large = await recordQueries(() => listMembers(school.schoolId, { limit: '200' }));

    expect([small.result.body.items.length, large.result.body.items.length]).toEqual([1, 150]);
    expect([small.queries.length, large.queries.length]).toEqual([2, 2]);
  });

  it('answers an empty page for a school without members', async () => {
    const school = await apiSchool({ name: 'Empty' });

    expect((await listMembers(school.schoolId)).body).toEqual({ items: [], nextCursor: null });
  });

  it('answers 404 for a missing or soft-deleted school', async () => {
    const closed = await apiSchool({ name: 'Closed' });
    await softDelete('schools', closed.schoolId);

    expect((await listMembers(MISSING_ID)).body).toMatchObject({ status: 404, title: 'Not Found', detail: `No school ${MISSING_ID}.` });
    expect((await listMembers(closed.schoolId)).status).toBe(404);
  });

  it('answers 400 for a bad id, a role outside the list and a tampered cursor', async () => {
    const school = await apiSchool({ name: 'Analytical Academy' });

    expect((await listMembers('42')).body).toEqual({ ...badRequest('schoolId'), errors: [{ path: 'schoolId', message: 'must be a UUID' }] });
    expect((await listMembers(school.schoolId, { role: 'janitor' })).body).toEqual(badRequest('role'));
    expect((await listMembers(school.schoolId, { cursor: 'eyJ' })).body).toEqual(badRequest('cursor'));
  });
});

describe('GET /users/{userId}/schools', () => {
  it('lists the live schools of a user by name, each with its role and since, page by page', async () => {
    const ada = await apiUser({ firstName: 'Ada' });
    const zenith = await apiSchool({ name: 'Zenith' });
    const academy = await apiSchool({ name: 'Analytical Academy' });
    const babbage = await apiSchool({ name: 'Babbage High' });
    const closed = await apiSchool({ name: 'Closed' });
    const links = [];
    for (const [school, role] of [[zenith, 'guestLecturer'], [academy, 'teacher'], [babbage, 'aide'], [closed, 'aide']] as const) {
      links.push((await put(school.schoolId, ada.userId, role)).body);
    }
    await softDelete('schools', closed.schoolId);

    const reply = await listSchoolsOf(ada.userId);
    const walked = await walk((query) => listSchoolsOf(ada.userId, query), 1);

    const expected = [
      { ...academy, membership: { role: 'teacher', since: links[1].createdAt } },
      { ...babbage, membership: { role: 'aide', since: links[2].createdAt } },
      { ...zenith, membership: { role: 'guestLecturer', since: links[0].createdAt } },
    ];
    expect(reply.body).toEqual({ items: expected, nextCursor: null });
    expect(pageOf(SchoolOfUserSchema).parse(reply.body)).toEqual(reply.body);
    expect(walked).toEqual(expected);
  });

  it('runs two queries whatever the page size', async () => {
    const ada = await apiUser({ firstName: 'Ada' });
    await withClient(async (c) => {
      await c.query(`INSERT INTO schools ("name") SELECT 'School ' || i FROM generate_series(1, 120) AS i`);
      await c.query(`INSERT INTO user_schools ("userUserId", "schoolSchoolId") SELECT $1, "schoolId" FROM schools`, [ada.userId]);
    });

    const { result, queries } = await recordQueries(() => listSchoolsOf(ada.userId, { limit: '200' }));

    expect(result.body.items).toHaveLength(120);
    expect(queries).toHaveLength(2);
  });

  it('answers 404 for a missing or soft-deleted user and 400 for a bad id', async () => {
    const gone = await apiUser({ firstName: 'Gone' });
    await softDelete('users', gone.userId);

    expect((await listSchoolsOf(MISSING_ID)).body).toMatchObject({ status: 404, detail: `No user ${MISSING_ID}.` });
    expect((await listSchoolsOf(gone.userId)).status).toBe(404);
    expect((await listSchoolsOf('nope')).status).toBe(400);
  });
});

describe('?districtId= on GET /users and GET /schools', () => {
  /** Two districts' rosters in one database; the guest lecturer is on both, each SIS with its own sourcedId. */
  async function twoDistricts() {
    const [north, south] = await Promise.all([createDistrict('North'), createDistrict('South')]);
    const lecturer = { givenName: 'Margaret', familyName: 'Hamilton', email: 'm.hamilton@lectures.example', role: 'guestLecturer' };
    const people = (prefix: string, count: number) =>
      Array.from({ length: count }, (_, i) => ({ sourcedId: `u-${i}`, givenName: `${prefix}${i}`, familyName: prefix, orgs: ['s-1'], role: 'student' }));
    const northRoster = roster11([{ sourcedId: 's-1', name: 'North High' }, { sourcedId: 's-2', name: 'North Primary' }], [...people('Nord', 7), { ...lecturer, sourcedId: 'gl-1', orgs: ['s-2'] }]);
    const southRoster = roster11([{ sourcedId: 's-1', name: 'South High' }], [...people('Sud', 4), { ...lecturer, sourcedId: 'u-900', email: 'M.Hamilton@LECTURES.example', orgs: ['s-1'] }]);
    expect(await runRosterSync({ districtId: north, source: writeRoster(northRoster) })).toMatchObject({ status: 'succeeded' });
    expect(await runRosterSync({ districtId: south, source: writeRoster(southRoster) })).toMatchObject({ status: 'succeeded', users: { adopted: 1 } });
    return { north, south };
  }

  it("lists only the users a district's roster holds, in the users' order, paged; the shared lecturer in both", async () => {
    const { north, south } = await twoDistricts();
    await apiUser({ firstName: 'Api', lastName: 'Only' });

    const northUsers = await walk(listUsers, 3, { districtId: north });
    const southUsers = await walk(listUsers, 2, { districtId: south });

    expect(northUsers.map((u) => u.firstName)).toEqual(['Margaret', ...Array.from({ length: 7 }, (_, i) => `Nord${i}`)]);
    expect(southUsers.map((u) => u.firstName)).toEqual(['Margaret', 'Sud0', 'Sud1', 'Sud2', 'Sud3']);
    expect(southUsers[0]).toEqual(northUsers[0]);
    expect((await listUsers({ districtId: MISSING_ID })).body).toEqual({ items: [], nextCursor: null });
    expect((await listUsers({ districtId: north, q: 'nord1' })).body.items.map((u: { firstName: string }) => u.firstName)).toEqual(['Nord1']);
  });

  it("drops a user from a district's list when its roster lets them go, while the other district keeps them", async () => {
    const { north, south } = await twoDistricts();
    await runRosterSync({ districtId: south, source: writeRoster(roster11([{ sourcedId: 's-1', name: 'South High' }], [])), force: true });

    expect((await walk(listUsers, 50, { districtId: south }))).toEqual([]);
    expect((await walk(listUsers, 50, { districtId: north })).map((u) => u.firstName)).toContain('Margaret');
  });

  it("lists a district's schools with their districtId, in the schools' order, paged", async () => {
    const { north, south } = await twoDistricts();
    await apiSchool({ name: 'Api Academy' });

    const northSchools = await walk(listSchools, 1, { districtId: north });

    expect(northSchools.map((s) => [s.name, s.districtId])).toEqual([['North High', north], ['North Primary', north]]);
    expect((await listSchools({ districtId: south })).body.items.map((s: { name: string }) => s.name)).toEqual(['South High']);
    expect((await walk(listSchools, 50)).map((s) => s.districtId)).toEqual([null, north, north, south]);
  });

  it('answers 400 for a districtId that is no UUID', async () => {
    expect((await listUsers({ districtId: 'north' })).body).toEqual(badRequest('districtId'));
    expect((await listSchools({ districtId: '1' })).body).toEqual(badRequest('districtId'));
  });
});
