import { getSequelize } from '../../shared/db/sequelize';
import { runRosterSync } from '../../shared/roster/sync';
import { withClient } from '../support/db';
import { counts, resetRoster, roster11, smallDistrict11, snapshot, writeRoster, type Org, type User11 } from '../support/roster';

afterAll(() => getSequelize().close());
beforeEach(resetRoster);

/** A district large enough that removing one user stays under the 10% delete-ratio safety. */
function district(userCount: number) {
  const orgs: Org[] = [{ sourcedId: 'sch-1', name: 'North School', identifier: 'N1' }, { sourcedId: 'sch-2', name: 'South School', identifier: 'S2' }];
  const users: User11[] = Array.from({ length: userCount }, (_, i) => ({
    sourcedId: `u-${i + 1}`,
    givenName: `Given${i + 1}`,
    familyName: `Family${i + 1}`,
    email: `user${i + 1}@district.example`,
    username: `user${i + 1}`,
    orgs: [i % 2 === 0 ? 'sch-1' : 'sch-2'],
    role: 'student',
  }));
  return { orgs, users };
}

async function createApiUser(email: string, firstName = 'Api') {
  return withClient(async (c) => (await c.query(`INSERT INTO users ("firstName", email) VALUES ($1, $2) RETURNING "userId"`, [firstName, email])).rows[0].userId as string);
}

async function createApiSchool(name: string, code: string | null = null) {
  return withClient(async (c) => (await c.query(`INSERT INTO schools (name, code) VALUES ($1, $2) RETURNING "schoolId"`, [name, code])).rows[0].schoolId as string);
}

async function link(userId: string, schoolId: string, role = 'teacher') {
  await withClient((c) => c.query(`INSERT INTO user_schools ("userUserId", "schoolSchoolId", role) VALUES ($1, $2, $3)`, [userId, schoolId, role]));
}

async function idOf(table: 'users' | 'schools', sourcedId: string): Promise<string> {
  const key = table === 'users' ? 'userId' : 'schoolId';
  return withClient(async (c) => (await c.query(`SELECT "${key}" AS id FROM ${table} WHERE "sourcedId" = $1`, [sourcedId])).rows[0].id);
}

describe('bulk deletes and restores', () => {
  it('soft-deletes roster users and schools absent from a bulk file and removes their roster links', async () => {
    const { orgs, users } = district(20);
    orgs.push({ sourcedId: 'sch-3', name: 'East School' });
    await runRosterSync({ source: writeRoster(roster11(orgs, users)) });

    // One school of three is over the 10% safety: forced.
    const summary = await runRosterSync({ source: writeRoster(roster11(orgs.slice(0, 2), users.slice(1))), force: true });

    expect(summary).toMatchObject({
      status: 'succeeded',
      users: { ...counts(0, 0, 19, 1), adopted: 0 },
      schools: counts(0, 0, 2, 1),
      memberships: counts(0, 0, 19, 1),
    });
    const after = await snapshot();
    expect(after.users.find((u) => u.sourcedId === 'u-1')).toMatchObject({ deleted: true });
    expect(after.schools.find((s) => s.sourcedId === 'sch-3')).toMatchObject({ deleted: true });
    expect(after.links.some((l) => l.user === 'u-1')).toBe(false);
  });

  it('restores a user and a school that reappear, same ids, with their memberships', async () => {
    const { orgs, users } = district(20);
    orgs.push({ sourcedId: 'sch-3', name: 'East School', identifier: 'E3' });
    users[0].orgs = ['sch-1', 'sch-3'];
    const source = writeRoster(roster11(orgs, users));
    await runRosterSync({ source });
    await runRosterSync({ source: writeRoster(roster11(orgs.slice(0, 2), users.slice(1))), force: true });
    const before = { user: await idOf('users', 'u-1'), school: await idOf('schools', 'sch-3') };

    const summary = await runRosterSync({ source });

    expect(summary).toMatchObject({
      status: 'succeeded',
      users: { ...counts(0, 0, 19, 0, 1), adopted: 0 },
      schools: counts(0, 0, 2, 0, 1),
      memberships: counts(2, 0, 19),
    });
    expect({ user: await idOf('users', 'u-1'), school: await idOf('schools', 'sch-3') }).toEqual(before);
    const after = await snapshot();
    expect(after.users.find((u) => u.sourcedId === 'u-1')).toMatchObject({ deleted: false });
    expect(after.schools.find((s) => s.sourcedId === 'sch-3')).toEqual({ sourcedId: 'sch-3', name: 'East School', code: 'E3', deleted: false });
    expect(after.links.filter((l) => l.user === 'u-1').map((l) => l.school)).toEqual(['sch-1', 'sch-3']);
  });

  it('never touches users, schools and links created through the API', async () => {
    const { orgs, users } = smallDistrict11();
    await runRosterSync({ source: writeRoster(roster11(orgs, users)) });
    const apiUser = await createApiUser('nelson@springfield.example', 'Nelson');
    const apiSchool = await createApiSchool('Night School', 'NS');
    await link(apiUser, apiSchool, 'student');
    await link(await idOf('users', 'u-1'), apiSchool, 'guestLecturer');
    await link(apiUser, await idOf('schools', 'sch-1'), 'student');
    const before = await snapshot();

    const summary = await runRosterSync({ source: writeRoster(roster11(orgs, users)), force: true });

    expect(summary).toMatchObject({ status: 'succeeded', users: { deleted: 0 }, schools: { deleted: 0 }, memberships: counts(0, 0, 5) });
    expect(await snapshot()).toEqual(before);
  });

  it('leaves an API link alone when the roster lists the same user and school', async () => {
    const { orgs, users } = smallDistrict11();
    await runRosterSync({ source: writeRoster(roster11(orgs, [])) });
    const apiUser = await createApiUser('bart@springfield.example', 'Bartholomew');
    await link(apiUser, await idOf('schools', 'sch-1'), 'guestLecturer');

    const summary = await runRosterSync({ source: writeRoster(roster11(orgs, users)) });

    expect(summary.memberships).toEqual(counts(4, 0, 1));
    expect((await snapshot()).links.find((l) => l.user === 'u-2')).toEqual({ user: 'u-2', school: 'sch-1', role: 'guestLecturer', source: 'api' });
  });
});

describe('adoption by email', () => {
  it('gives a live API user without a sourcedId the roster identity instead of duplicating them', async () => {
    const { orgs, users } = smallDistrict11();
    const apiUser = await createApiUser('EDNA@springfield.example', 'E.');

    const summary = await runRosterSync({ source: writeRoster(roster11(orgs, users)) });

    expect(summary.users).toEqual({ ...counts(3, 1, 0), adopted: 1, released: 0 });
    expect(await idOf('users', 'u-1')).toBe(apiUser);
    const after = await snapshot();
    expect(after.users).toHaveLength(4);
    expect(after.users[0]).toEqual({ sourcedId: 'u-1', firstName: 'Edna', lastName: 'Krabappel', email: 'edna@springfield.example', userName: 'ekrabappel', deleted: false });
  });

  it('does not adopt a soft-deleted API user', async () => {
    const { orgs, users } = smallDistrict11();
    const apiUser = await createApiUser('edna@springfield.example');
    await withClient((c) => c.query('UPDATE users SET "deletedAt" = now() WHERE "userId" = $1', [apiUser]));

    const summary = await runRosterSync({ source: writeRoster(roster11(orgs, users)) });

    expect(summary.users).toEqual({ ...counts(4), adopted: 0, released: 0 });
    expect(await idOf('users', 'u-1')).not.toBe(apiUser);
  });
});

describe('the delete-ratio safety', () => {
  it('refuses a bulk run that would delete more than 10% of the roster users, applying nothing', async () => {
    const { orgs, users } = district(20);
    await runRosterSync({ source: writeRoster(roster11(orgs, users)) });
    const before = await snapshot();
    const changed = structuredClone(users.slice(3));
    changed[0].givenName = 'Renamed';

    const summary = await runRosterSync({ source: writeRoster(roster11(orgs, changed)) });

    expect(summary).toMatchObject({
      status: 'refused',
      reason:
        'This bulk run would delete 3 of 20 live roster users (15%), more than ROSTER_MAX_DELETE_RATIO (10%); nothing was applied. Run it again with force to apply it.',
    });
    expect(await snapshot()).toEqual(before);
    const runs = await withClient((c) => c.query(`SELECT status FROM roster_sync_runs ORDER BY "startedAt"`));
    expect(runs.rows.map((r) => r.status)).toEqual(['succeeded', 'refused']);
  });

  it('applies the same run when forced', async () => {
    const { orgs, users } = district(20);
    await runRosterSync({ source: writeRoster(roster11(orgs, users)) });

    const summary = await runRosterSync({ source: writeRoster(roster11(orgs, users.slice(3))), force: true });

    expect(summary).toMatchObject({ status: 'succeeded', force: true, users: { deleted: 3, unchanged: 17 } });
  });

  it('counts schools on their own', async () => {
    const { orgs, users } = district(20);
    await runRosterSync({ source: writeRoster(roster11(orgs, users)) });

    const summary = await runRosterSync({ source: writeRoster(roster11(orgs.slice(0, 1), users)) });

    expect(summary.status).toBe('refused');
    expect(summary.reason).toMatch(/^This bulk run would delete 1 of 2 live roster schools \(50%\)/);
  });
});

describe('delta files', () => {
  it('upserts active rows and soft-deletes tobedeleted ones, leaving unlisted records alone', async () => {
    const { orgs, users } = smallDistrict11();
    await runRosterSync({ source: writeRoster(roster11(orgs, users)) });
    const delta: User11[] = [
      { ...users[0], familyName: 'Flanders' },
      { ...users[1], status: 'tobedeleted' },
      { sourcedId: 'u-5', givenName: 'Lisa', familyName: 'Simpson', orgs: ['sch-2'], role: 'student' },
      { ...users[2], orgs: ['sch-2'] },
    ];

    const summary = await runRosterSync({ source: writeRoster(roster11([], delta, { orgs: 'absent', users: 'delta' })) });

    expect(summary).toMatchObject({
      status: 'succeeded',
      modes: { orgs: 'absent', users: 'delta', roles: 'absent' },
      users: { ...counts(1, 1, 1, 1), adopted: 0 },
      schools: counts(),
      memberships: counts(1, 0, 2, 2),
    });
    const after = await snapshot();
    expect(after.users.map((u) => [u.sourcedId, u.lastName, u.deleted])).toEqual([
      ['u-1', 'Flanders', false],
      ['u-2', 'Simpson', true],
      ['u-3', 'Largo', false],
      ['u-4', 'Skinner', false],
      ['u-5', 'Simpson', false],
    ]);
    expect(after.links.map((l) => `${l.user}@${l.school}`)).toEqual(['u-1@sch-1', 'u-3@sch-2', 'u-4@sch-1', 'u-5@sch-2']);
  });

  it('deletes nothing absent from a delta file, however much is absent', async () => {
    const { orgs, users } = district(20);
    await runRosterSync({ source: writeRoster(roster11(orgs, users)) });

    const summary = await runRosterSync({ source: writeRoster(roster11([], users.slice(0, 1), { orgs: 'absent', users: 'delta' })) });

    expect(summary).toMatchObject({ status: 'succeeded', users: { unchanged: 1, deleted: 0 }, memberships: { unchanged: 1, deleted: 0 } });
  });
});

describe('memberships', () => {
  it('links a user to every school in orgSourcedIds', async () => {
    const orgs: Org[] = [1, 2, 3].map((n) => ({ sourcedId: `sch-${n}`, name: `School ${n}` }));
    const users: User11[] = [{ sourcedId: 'lecturer', givenName: 'Guest', orgs: ['sch-1', 'sch-2', 'sch-3'], role: 'teacher' }];

    await runRosterSync({ source: writeRoster(roster11(orgs, users)) });

    expect((await snapshot()).links.map((l) => l.school)).toEqual(['sch-1', 'sch-2', 'sch-3']);
  });

  it('reports a membership naming an unknown org and still imports the user and the other memberships', async () => {
    const { orgs, users } = smallDistrict11();
    users[2].orgs = ['sch-1', 'sch-404'];

    const summary = await runRosterSync({ source: writeRoster(roster11(orgs, users)) });

    expect(summary).toMatchObject({ status: 'succeeded', users: { created: 4 }, memberships: { created: 4 }, errorCount: 1 });
    expect(summary.errors).toEqual([
      { file: 'users.csv', line: 4, column: 'orgSourcedIds', message: 'the org is neither in orgs.csv nor a known school; this membership is skipped' },
    ]);
  });

  it('resolves memberships against schools already imported when orgs.csv is absent', async () => {
    const { orgs, users } = smallDistrict11();
    await runRosterSync({ source: writeRoster(roster11(orgs, [])) });

    const summary = await runRosterSync({ source: writeRoster(roster11([], users.slice(0, 3), { orgs: 'absent' })) });

    expect(summary).toMatchObject({ status: 'succeeded', memberships: counts(4), errorCount: 0 });
  });
});
