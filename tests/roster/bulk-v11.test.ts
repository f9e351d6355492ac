import { getSequelize } from '../../shared/db/sequelize';
import { runRosterSync } from '../../shared/roster/sync';
import { withClient } from '../support/db';
import { counts, resetRoster, roster11, smallDistrict11, snapshot, writeRoster } from '../support/roster';

afterAll(() => getSequelize().close());
beforeEach(resetRoster);

describe('a OneRoster 1.1 bulk roster', () => {
  it('imports schools, users and memberships, skipping the district org', async () => {
    const { orgs, users } = smallDistrict11();

    const summary = await runRosterSync({ source: writeRoster(roster11(orgs, users)) });

    expect(summary).toEqual({
      runId: expect.any(String),
      status: 'succeeded',
      districtId: expect.any(String),
      source: expect.any(String),
      sourceKind: 'file',
      force: false,
      version: '1.1',
      modes: { orgs: 'bulk', users: 'bulk', roles: 'absent' },
      users: { ...counts(4), adopted: 0, released: 0 },
      schools: counts(2),
      memberships: counts(5),
      otherOrgs: 1,
      otherOrgMemberships: 1,
      errors: [],
      errorCount: 0,
      notes: [],
      noteCount: 0,
      durationMs: expect.any(Number),
    });
    expect(await snapshot()).toEqual({
      users: [
        { sourcedId: 'u-1', firstName: 'Edna', lastName: 'Krabappel', email: 'edna@springfield.example', userName: 'ekrabappel', deleted: false },
        { sourcedId: 'u-2', firstName: 'Bart', lastName: 'Simpson', email: 'bart@springfield.example', userName: 'bsimpson', deleted: false },
        { sourcedId: 'u-3', firstName: 'Dewey', lastName: 'Largo', email: 'dewey@springfield.example', userName: 'dlargo', deleted: false },
        { sourcedId: 'u-4', firstName: 'Seymour', lastName: 'Skinner', email: 'seymour@springfield.example', userName: 'sskinner', deleted: false },
      ],
      schools: [
        { sourcedId: 'sch-1', name: 'Springfield Elementary', code: 'SE-001', deleted: false },
        { sourcedId: 'sch-2', name: 'Springfield High', code: 'SH-002', deleted: false },
      ],
      links: [
        { user: 'u-1', school: 'sch-1', role: 'teacher', source: 'roster' },
        { user: 'u-2', school: 'sch-1', role: 'student', source: 'roster' },
        { user: 'u-3', school: 'sch-1', role: 'teacher', source: 'roster' },
        { user: 'u-3', school: 'sch-2', role: 'teacher', source: 'roster' },
        { user: 'u-4', school: 'sch-1', role: 'administrator', source: 'roster' },
      ],
    });
  });

  it('records the run in roster_sync_runs with its summary', async () => {
    const { orgs, users } = smallDistrict11();
    const source = writeRoster(roster11(orgs, users));

    const summary = await runRosterSync({ source });

    const runs = await withClient((c) => c.query('SELECT id, status, source, "force", "finishedAt" >= "startedAt" AS finished, summary FROM roster_sync_runs'));
    expect(runs.rows).toEqual([{ id: summary.runId, status: 'succeeded', source, force: false, finished: true, summary }]);
  });

  it('changes nothing and reports zero changes when the same roster runs again', async () => {
    const { orgs, users } = smallDistrict11();
    const source = writeRoster(roster11(orgs, users));
    await runRosterSync({ source });
    const stamps = () => withClient((c) => c.query(`
      SELECT "updatedAt" FROM users UNION ALL SELECT "updatedAt" FROM schools UNION ALL SELECT "updatedAt" FROM user_schools ORDER BY 1`));
    const before = (await stamps()).rows;

    const again = await runRosterSync({ source });

    expect(again).toMatchObject({
      status: 'succeeded',
      users: { ...counts(0, 0, 4), adopted: 0 },
      schools: counts(0, 0, 2),
      memberships: counts(0, 0, 5),
      errorCount: 0,
    });
    expect((await stamps()).rows).toEqual(before);
  });

  it('updates changed names, emails, codes and roles and counts them as updated', async () => {
    const { orgs, users } = smallDistrict11();
    await runRosterSync({ source: writeRoster(roster11(orgs, users)) });
    const changedOrgs = structuredClone(orgs);
    changedOrgs[1].name = 'Springfield Elementary School';
    const changedUsers = structuredClone(users);
    changedUsers[1].email = 'bart.simpson@springfield.example';
    changedUsers[2].role = 'aide';

    const summary = await runRosterSync({ source: writeRoster(roster11(changedOrgs, changedUsers)) });

    expect(summary).toMatchObject({
      users: { ...counts(0, 1, 3), adopted: 0 },
      schools: counts(0, 1, 1),
      memberships: counts(0, 2, 3),
    });
    const after = await snapshot();
    expect(after.schools[0]).toEqual({ sourcedId: 'sch-1', name: 'Springfield Elementary School', code: 'SE-001', deleted: false });
    expect(after.users[1].email).toBe('bart.simpson@springfield.example');
    expect(after.links.filter((l) => l.user === 'u-3')).toEqual([
      { user: 'u-3', school: 'sch-1', role: 'aide', source: 'roster' },
      { user: 'u-3', school: 'sch-2', role: 'aide', source: 'roster' },
    ]);
  });
});
