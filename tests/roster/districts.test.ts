import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateRoster } from '../../scripts/roster-generator';
import { getSequelize } from '../../shared/db/sequelize';
import { districtLockKey } from '../../shared/roster/districts';
import { runRosterSync } from '../../shared/roster/sync';
import { withClient } from '../support/db';
import { createDistrict, districtState, schoolsOf, userOf } from '../support/districts';
import { counts, resetRoster, roster11, writeRoster, type Org, type User11 } from '../support/roster';
import { ADVISORY_LOCKS } from '../../shared/db/advisory-locks';

afterAll(() => getSequelize().close());
beforeEach(resetRoster);

/** A district of `size` people in two schools, its sourcedIds `u-1`... as SISes number them. */
function district(prefix: string, size: number): { orgs: Org[]; users: User11[] } {
  const orgs: Org[] = [{ sourcedId: 'sch-1', name: `${prefix} North` }, { sourcedId: 'sch-2', name: `${prefix} South` }];
  const users: User11[] = Array.from({ length: size }, (_, i) => ({
    sourcedId: `u-${i + 1}`,
    givenName: `${prefix}${i + 1}`,
    familyName: prefix,
    email: `person${i + 1}@${prefix.toLowerCase()}.example`,
    username: `${prefix.toLowerCase()}${i + 1}`,
    orgs: [i % 2 === 0 ? 'sch-1' : 'sch-2'],
    role: 'student',
  }));
  return { orgs, users };
}

/** The guest lecturer as each district's SIS knows her: another sourcedId, the email's case, a nickname. */
const LECTURER_IN_A: User11 = { sourcedId: 'gl-77', givenName: 'Margaret', familyName: 'Hamilton', email: 'M.Hamilton@lectures.example', username: 'mhamilton', orgs: ['sch-1', 'sch-2'], role: 'guestLecturer' };
const LECTURER_IN_B: User11 = { sourcedId: 'u-9001', givenName: 'Maggie', familyName: 'Hamilton', email: 'm.hamilton@LECTURES.example', username: 'mhamilton', orgs: ['sch-2'], role: 'guestLecturer' };

async function sync(districtId: string, orgs: Org[], users: User11[], force = false) {
  return runRosterSync({ districtId, source: writeRoster(roster11(orgs, users)), force });
}

describe('two districts in one deployment', () => {
  it('syncs a second district\'s bulk roster without deleting the first\'s, and each re-sync leaves the other alone', async () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'districts-'));
    const a = await createDistrict('Alpha');
    const b = await createDistrict('Beta');
    // Real-shaped exports: the same generator's sourcedIds (usr-0000001...) in both, 1.1 and 1.2.
    const alpha = await generateRoster({ users: 300, schools: 6, out: path.join(work, 'a'), seed: 1 });
    const beta = await generateRoster({ users: 200, schools: 4, out: path.join(work, 'b'), seed: 2, version: '1.2' });
    const alphaSmaller = await generateRoster({ users: 280, schools: 6, out: path.join(work, 'a-smaller'), seed: 1 });
    expect(await runRosterSync({ districtId: a, source: path.join(work, 'a') })).toMatchObject({ status: 'succeeded', users: { created: alpha.users } });

    const first = await runRosterSync({ districtId: b, source: path.join(work, 'b') });

    expect(first).toMatchObject({ status: 'succeeded', districtId: b, users: { created: beta.users, deleted: 0, released: 0 }, schools: counts(4), memberships: { deleted: 0 } });
    const betaState = await districtState(b);
    const alphaState = await districtState(a);
    expect(betaState.users).toHaveLength(200);
    expect(alphaState.users).toHaveLength(300);

    expect(await runRosterSync({ districtId: a, source: path.join(work, 'a') })).toMatchObject({ users: counts(0, 0, 300), memberships: counts(0, 0, alpha.memberships) });
    const shrunk = await runRosterSync({ districtId: a, source: path.join(work, 'a-smaller') });
    expect(shrunk).toMatchObject({ status: 'succeeded', users: { deleted: 20 }, memberships: { deleted: alpha.memberships - alphaSmaller.memberships } });
    expect(await districtState(b)).toEqual(betaState);

    expect(await runRosterSync({ districtId: b, source: path.join(work, 'b') })).toMatchObject({ users: counts(0, 0, 200), memberships: counts(0, 0, beta.memberships) });
    const gone = await runRosterSync({ districtId: b, source: writeRoster(roster11([], [])), force: true });
    expect(gone).toMatchObject({ status: 'succeeded', users: { deleted: 200 }, schools: { deleted: 4 } });
    expect((await districtState(a)).users.filter((u) => !u.deleted)).toHaveLength(280);
  });

  it('keeps colliding sourcedIds apart: user u-1 of one district is not user u-1 of the other', async () => {
    const a = await createDistrict('Alpha');
    const b = await createDistrict('Beta');
    const [alpha, beta] = [district('Alpha', 20), district('Beta', 20)];
    await sync(a, alpha.orgs, alpha.users);

    const summary = await sync(b, beta.orgs, beta.users);

    expect(summary).toMatchObject({ status: 'succeeded', users: { created: 20, adopted: 0 }, schools: counts(2) });
    const [inA, inB] = [await userOf(a, 'u-1'), await userOf(b, 'u-1')];
    expect(inA).toMatchObject({ sourcedId: 'u-1', firstName: 'Alpha1', source: 'roster' });
    expect(inB).toMatchObject({ sourcedId: 'u-1', firstName: 'Beta1', source: 'roster' });
    expect(inA.userId).not.toBe(inB.userId);
    expect(await schoolsOf(inB.userId)).toEqual(['Beta sch-1']);
  });

  it('refuses by each district\'s own delete ratio, its maxDeleteRatio over ROSTER_MAX_DELETE_RATIO', async () => {
    const a = await createDistrict('Alpha');
    const b = await createDistrict('Beta', { maxDeleteRatio: 0.5 });
    const alpha = district('Alpha', 20);
    const beta = district('Beta', 20);
    await sync(a, alpha.orgs, alpha.users);
    await sync(b, beta.orgs, beta.users);

    const refused = await sync(a, alpha.orgs, alpha.users.slice(5));
    const applied = await sync(b, beta.orgs, beta.users.slice(5));

    expect(refused).toMatchObject({
      status: 'refused',
      reason: 'This bulk run would delete 5 of 20 live roster users (25%), more than ROSTER_MAX_DELETE_RATIO (10%); nothing was applied. Run it again with force to apply it.',
    });
    expect(applied).toMatchObject({ status: 'succeeded', users: { deleted: 5, unchanged: 15 } });
    expect(await sync(b, beta.orgs, [])).toMatchObject({
      status: 'refused',
      reason: "This bulk run would delete 15 of 15 live roster users (100%), more than the district's maxDeleteRatio (50%); nothing was applied. Run it again with force to apply it.",
    });
  });

  it('runs one district while another district\'s run holds its own lock', async () => {
    const a = await createDistrict('Alpha');
    const b = await createDistrict('Beta');
    const beta = district('Beta', 4);
    await withClient(async (other) => {
      await other.query('SELECT pg_advisory_lock($1, $2)', [ADVISORY_LOCKS.districtSync, districtLockKey(a)]);

      const [skipped, ran] = [await sync(a, beta.orgs, beta.users), await sync(b, beta.orgs, beta.users)];

      expect(skipped).toMatchObject({ status: 'skipped', districtId: a });
      expect(ran).toMatchObject({ status: 'succeeded', districtId: b, users: { created: 4 } });
    });
    const runs = await withClient((c) => c.query(`SELECT "districtId", status FROM roster_sync_runs ORDER BY "startedAt"`));
    expect(runs.rows).toEqual([{ districtId: a, status: 'skipped' }, { districtId: b, status: 'succeeded' }]);
  });

  it('fails, recorded and changing nothing, a run that names no district among several, or an unknown one', async () => {
    await createDistrict('Alpha');
    await createDistrict('Beta');
    const { orgs, users } = district('Alpha', 4);
    const source = writeRoster(roster11(orgs, users));

    const unnamed = await runRosterSync({ source });
    const unknown = await runRosterSync({ source, districtId: '00000000-0000-4000-8000-000000000000' });

    expect(unnamed).toMatchObject({
      status: 'failed',
      districtId: null,
      reason: 'This deployment has several districts: name the one to sync (npm run sync -- --district <id> <source>, or districtId in the event).',
    });
    expect(unknown).toMatchObject({ status: 'failed', reason: 'No district 00000000-0000-4000-8000-000000000000.' });
    const state = await withClient(async (c) => ({
      users: (await c.query('SELECT count(*)::int AS n FROM users')).rows[0].n,
      runs: (await c.query('SELECT status, "districtId" FROM roster_sync_runs ORDER BY "startedAt"')).rows,
    }));
    expect(state).toEqual({ users: 0, runs: [{ status: 'failed', districtId: null }, { status: 'failed', districtId: null }] });
  });
});

describe('one person in several districts', () => {
  it('joins the guest lecturer on two rosters into one user, in both districts\' schools, whatever the email\'s case', async () => {
    const a = await createDistrict('Alpha');
    const b = await createDistrict('Beta');
    const alpha = district('Alpha', 20);
    const beta = district('Beta', 20);
    await sync(a, alpha.orgs, [...alpha.users, LECTURER_IN_A]);

    const summary = await sync(b, beta.orgs, [...beta.users, LECTURER_IN_B]);

    expect(summary).toMatchObject({ status: 'succeeded', users: { ...counts(20, 0, 1), adopted: 1 }, memberships: counts(21) });
    const lecturer = await userOf(a, 'gl-77');
    expect(await userOf(b, 'u-9001')).toEqual(lecturer);
    expect(await schoolsOf(lecturer.userId)).toEqual(['Alpha sch-1', 'Alpha sch-2', 'Beta sch-2']);
  });

  it('keeps the fields of the district that held the person first, notes the other\'s differences, and never flips', async () => {
    const a = await createDistrict('Alpha');
    const b = await createDistrict('Beta');
    const alpha = district('Alpha', 20);
    const beta = district('Beta', 20);
    await sync(a, alpha.orgs, [...alpha.users, LECTURER_IN_A]);
    const held = await userOf(a, 'gl-77');

    const fromB = await sync(b, beta.orgs, [...beta.users, LECTURER_IN_B]);
    const againA = await sync(a, alpha.orgs, [...alpha.users, LECTURER_IN_A]);
    const againB = await sync(b, beta.orgs, [...beta.users, LECTURER_IN_B]);

    const notes = [
      { file: 'users.csv', line: 22, column: 'email', message: `differs from the roster of district ${a}, which supplies this person's fields; theirs is kept` },
      { file: 'users.csv', line: 22, column: 'givenName', message: `differs from the roster of district ${a}, which supplies this person's fields; theirs is kept` },
    ];
    expect(fromB).toMatchObject({ notes, noteCount: 2 });
    expect(againA).toMatchObject({ users: counts(0, 0, 21), noteCount: 0 });
    expect(againB).toMatchObject({ users: counts(0, 0, 21), notes, noteCount: 2 });
    expect(await userOf(b, 'u-9001')).toEqual(held);
    expect(held).toMatchObject({ sourcedId: 'gl-77', firstName: 'Margaret', email: 'M.Hamilton@lectures.example' });
    // Notes name the column, never the values.
    expect(JSON.stringify(againB.notes)).not.toMatch(/Maggie|Margaret|hamilton@/i);
  });

  it('keeps the lecturer while any district holds them, hands the fields on, and soft-deletes them when the last lets go', async () => {
    const a = await createDistrict('Alpha');
    const b = await createDistrict('Beta');
    const alpha = district('Alpha', 20);
    const beta = district('Beta', 20);
    await sync(a, alpha.orgs, [...alpha.users, LECTURER_IN_A]);
    await sync(b, beta.orgs, [...beta.users, LECTURER_IN_B]);
    const { userId } = await userOf(a, 'gl-77');

    const aLetsGo = await sync(a, alpha.orgs, alpha.users);
    expect(aLetsGo).toMatchObject({ status: 'succeeded', users: { deleted: 0, released: 1, unchanged: 20 }, memberships: { deleted: 2 } });
    expect(await userOf(b, 'u-9001')).toMatchObject({ userId, deleted: false, sourcedId: 'u-9001', firstName: 'Margaret' });
    expect(await schoolsOf(userId)).toEqual(['Beta sch-2']);

    // Beta now supplies the fields: its next run applies its own values, once.
    expect(await sync(b, beta.orgs, [...beta.users, LECTURER_IN_B])).toMatchObject({ users: counts(0, 1, 20), noteCount: 0 });
    expect(await userOf(b, 'u-9001')).toMatchObject({ firstName: 'Maggie', email: 'm.hamilton@LECTURES.example' });
    expect(await sync(b, beta.orgs, [...beta.users, LECTURER_IN_B])).toMatchObject({ users: counts(0, 0, 21) });

    const bLetsGo = await sync(b, beta.orgs, beta.users);
    expect(bLetsGo).toMatchObject({ users: { deleted: 1, released: 0 }, memberships: { deleted: 1 } });
    expect(await userOf(b, 'u-9001')).toMatchObject({ userId, deleted: true });

    // Back on Alpha's roster: the same user, restored, with Alpha's fields again.
    expect(await sync(a, alpha.orgs, [...alpha.users, LECTURER_IN_A])).toMatchObject({ users: { ...counts(0, 0, 20, 0, 1), adopted: 0 }, memberships: counts(2, 0, 20) });
    expect(await userOf(a, 'gl-77')).toMatchObject({ userId, deleted: false, firstName: 'Margaret', sourcedId: 'gl-77' });
  });

  it('adopts a user made through the API, and never soft-deletes them when the district lets go', async () => {
    const a = await createDistrict('Alpha');
    const alpha = district('Alpha', 20);
    const apiUser = await withClient(async (c) => (await c.query(`INSERT INTO users ("firstName", email) VALUES ('Meg', 'm.hamilton@lectures.EXAMPLE') RETURNING "userId"`)).rows[0].userId as string);

    expect(await sync(a, alpha.orgs, [...alpha.users, LECTURER_IN_A])).toMatchObject({ users: { ...counts(20, 1), adopted: 1 } });
    expect(await userOf(a, 'gl-77')).toMatchObject({ userId: apiUser, source: 'api', firstName: 'Margaret', sourcedId: 'gl-77' });

    expect(await sync(a, alpha.orgs, alpha.users)).toMatchObject({ users: { deleted: 0, released: 1 } });
    const after = await withClient(async (c) => (await c.query(`SELECT "sourcedId", "deletedAt" FROM users WHERE "userId" = $1`, [apiUser])).rows[0]);
    expect(after).toEqual({ sourcedId: null, deletedAt: null });
  });
});
