import { getSequelize } from '../../shared/db/sequelize';
import { runRosterSync } from '../../shared/roster/sync';
import { counts, csv, manifest, orgsCsv, resetRoster, ROLE_HEADER, snapshot, USER_HEADER_12, writeRoster, type Cell } from '../support/roster';

afterAll(() => getSequelize().close());
beforeEach(resetRoster);

const orgs = orgsCsv([
  { sourcedId: 'dist', name: 'District', type: 'district' },
  { sourcedId: 'sch-a', name: 'Alpha Academy', identifier: 'A' },
  { sourcedId: 'sch-b', name: 'Beta School', identifier: 'B' },
]);

function user(sourcedId: string, givenName: string, familyName: string, email: string, status = ''): Cell[] {
  return [sourcedId, status, '', 'TRUE', sourcedId, '', givenName, familyName, '', '', email, '', '', '', '', '', '', '', '', '', '', ''];
}

function role(id: string, userId: string, orgId: string, roleName: string, roleType = 'primary', status = ''): Cell[] {
  return [id, status, '', userId, roleType, roleName, '', '', orgId, ''];
}

const users = csv(USER_HEADER_12, [
  user('t-1', 'Tess', 'Teacher', 'tess@district.example'),
  user('s-1', 'Sam', 'Student', 'sam@district.example'),
  user('p-1', 'Pat', 'Principal', 'pat@district.example'),
]);

function roster12(rolesText: string, modes: { orgs?: string; users?: string; roles?: string } = {}, extra: Record<string, string> = {}) {
  return {
    'manifest.csv': manifest('1.2', { orgs: modes.orgs ?? 'bulk', users: modes.users ?? 'bulk', roles: modes.roles ?? 'bulk', userProfiles: '' }),
    'orgs.csv': orgs,
    'users.csv': users,
    'roles.csv': rolesText,
    ...extra,
  };
}

describe('a OneRoster 1.2 roster', () => {
  it('takes memberships from roles.csv, a primary role before a secondary one for the same school', async () => {
    const roles = csv(ROLE_HEADER, [
      role('r-1', 't-1', 'sch-a', 'teacher'),
      role('r-2', 't-1', 'sch-b', 'teacher', 'secondary'),
      role('r-3', 's-1', 'sch-a', 'student'),
      role('r-4', 'p-1', 'sch-a', 'teacher', 'secondary'),
      role('r-5', 'p-1', 'sch-a', 'principal', 'primary'),
      role('r-6', 'p-1', 'dist', 'districtAdministrator'),
    ]);

    const summary = await runRosterSync({ source: writeRoster(roster12(roles)) });

    expect(summary).toMatchObject({
      status: 'succeeded',
      version: '1.2',
      modes: { orgs: 'bulk', users: 'bulk', roles: 'bulk' },
      users: { ...counts(3), adopted: 0 },
      schools: counts(2),
      memberships: counts(4),
      otherOrgs: 1,
      otherOrgMemberships: 1,
      errorCount: 0,
    });
    expect((await snapshot()).links).toEqual([
      { user: 'p-1', school: 'sch-a', role: 'principal', source: 'roster' },
      { user: 's-1', school: 'sch-a', role: 'student', source: 'roster' },
      { user: 't-1', school: 'sch-a', role: 'teacher', source: 'roster' },
      { user: 't-1', school: 'sch-b', role: 'teacher', source: 'roster' },
    ]);
  });

  it('reports roles naming an unknown user or org, or an unknown role', async () => {
    const roles = csv(ROLE_HEADER, [
      role('r-1', 't-1', 'sch-a', 'teacher'),
      role('r-2', 'ghost', 'sch-a', 'student'),
      role('r-3', 's-1', 'sch-zzz', 'student'),
      role('r-4', 's-1', 'sch-b', 'wizard'),
    ]);

    const summary = await runRosterSync({ source: writeRoster(roster12(roles)) });

    expect(summary).toMatchObject({ status: 'succeeded', memberships: counts(1) });
    expect(summary.errors).toEqual([
      { file: 'roles.csv', line: 3, column: 'userSourcedId', message: 'the user is neither in users.csv nor a known user; this membership is skipped' },
      { file: 'roles.csv', line: 4, column: 'orgSourcedId', message: 'the org is neither in orgs.csv nor a known school; this membership is skipped' },
      { file: 'roles.csv', line: 5, column: 'role', message: 'role is not a known role' },
    ]);
  });

  it('applies a roles.csv delta: active rows linked, tobedeleted rows unlinked, others kept', async () => {
    await runRosterSync({ source: writeRoster(roster12(csv(ROLE_HEADER, [role('r-1', 't-1', 'sch-a', 'teacher'), role('r-3', 's-1', 'sch-a', 'student')]))) });
    const delta = csv(ROLE_HEADER, [role('r-1', 't-1', 'sch-a', 'teacher', 'primary', 'tobedeleted'), role('r-7', 't-1', 'sch-b', 'aide')]);

    const summary = await runRosterSync({ source: writeRoster(roster12(delta, { orgs: 'absent', users: 'absent', roles: 'delta' })) });

    expect(summary).toMatchObject({ status: 'succeeded', memberships: counts(1, 0, 0, 1) });
    expect((await snapshot()).links.map((l) => `${l.user}@${l.school}:${l.role}`)).toEqual(['s-1@sch-a:student', 't-1@sch-b:aide']);
  });

  it('re-runs with zero changes', async () => {
    const source = writeRoster(roster12(csv(ROLE_HEADER, [role('r-1', 't-1', 'sch-a', 'teacher'), role('r-2', 't-1', 'sch-b', 'teacher')])));
    await runRosterSync({ source });

    const summary = await runRosterSync({ source });

    expect(summary).toMatchObject({ users: counts(0, 0, 3), schools: counts(0, 0, 2), memberships: counts(0, 0, 2) });
  });
});
