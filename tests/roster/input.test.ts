import { getSequelize } from '../../shared/db/sequelize';
import { runRosterSync } from '../../shared/roster/sync';
import { withClient } from '../support/db';
import { counts, csv, manifest, orgsCsv, resetRoster, roster11, smallDistrict11, snapshot, users11Csv, writeRoster } from '../support/roster';

afterAll(() => getSequelize().close());
beforeEach(resetRoster);

const expectedUsers = () => smallDistrict11().users.map((u) => ({
  sourcedId: u.sourcedId, firstName: u.givenName, lastName: u.familyName, email: u.email, userName: u.username, deleted: false,
}));

describe('tolerated deviations', () => {
  it('reads files with a UTF-8 BOM and CRLF line ends', async () => {
    const files = roster11(smallDistrict11().orgs, smallDistrict11().users);
    const crlf = Object.fromEntries(Object.entries(files).map(([name, text]) => [name, `\uFEFF${text.replace(/\n/g, '\r\n')}`]));

    const summary = await runRosterSync({ source: writeRoster(crlf) });

    expect(summary).toMatchObject({ status: 'succeeded', users: { created: 4 }, schools: { created: 2 }, memberships: { created: 5 }, errorCount: 0 });
    expect((await snapshot()).users).toEqual(expectedUsers());
  });

  it('matches columns by name, in any order, ignoring extra columns', async () => {
    const { orgs, users } = smallDistrict11();
    const header = ['ext_district_id', 'email', 'familyName', 'givenName', 'sourcedId', 'role', 'orgSourcedIds', 'username', 'ext_notes'];
    const usersCsv = csv(header, users.map((u) => ['x', u.email, u.familyName, u.givenName, u.sourcedId, u.role, u.orgs!.join(','), u.username, 'extra, "quoted"']));
    const orgsText = csv(['type', 'name', 'sourcedId', 'metadata.classification', 'identifier'], orgs.map((o) => [o.type ?? 'school', o.name, o.sourcedId, 'public', o.identifier]));

    const summary = await runRosterSync({ source: writeRoster({ ...roster11([], []), 'users.csv': usersCsv, 'orgs.csv': orgsText }) });

    expect(summary).toMatchObject({ status: 'succeeded', users: { created: 4 }, schools: { created: 2 }, memberships: { created: 5 }, errorCount: 0 });
    expect((await snapshot()).users).toEqual(expectedUsers());
  });

  it('treats a blank status in a bulk file as active and inactive as tobedeleted', async () => {
    const { orgs, users } = smallDistrict11();
    users[0].status = 'active';
    users[1].status = '';
    users[2].status = 'inactive';
    users[3].status = 'tobedeleted';

    const summary = await runRosterSync({ source: writeRoster(roster11(orgs, users)) });

    expect(summary).toMatchObject({ status: 'succeeded', users: { ...counts(2), adopted: 0 }, errorCount: 0 });
    expect((await snapshot()).users.map((u) => u.sourcedId)).toEqual(['u-1', 'u-2']);
  });

  it('soft-deletes an inactive row of a delta file', async () => {
    const { orgs, users } = smallDistrict11();
    await runRosterSync({ source: writeRoster(roster11(orgs, users)) });

    const summary = await runRosterSync({ source: writeRoster(roster11([], [{ ...users[0], status: 'inactive' }], { orgs: 'absent', users: 'delta' })) });

    expect(summary).toMatchObject({ users: { deleted: 1 }, memberships: { deleted: 1 } });
  });

  it('skips blank lines and reads quoted values that span lines', async () => {
    const { orgs, users } = smallDistrict11();
    users[0].familyName = 'Krabappel\nvan Houten';
    const text = users11Csv(users).replace('\nu-2,', '\n\nu-2,');

    const summary = await runRosterSync({ source: writeRoster({ ...roster11(orgs, []), 'users.csv': text }) });

    expect(summary).toMatchObject({ status: 'succeeded', users: { created: 4 }, errorCount: 0 });
    expect((await snapshot()).users[0].lastName).toBe('Krabappel\nvan Houten');
  });
});

describe('rejected rosters change nothing', () => {
  async function expectFailure(files: Record<string, string>, reason: string) {
    const { orgs, users } = smallDistrict11();
    await runRosterSync({ source: writeRoster(roster11(orgs, users.slice(0, 2))) });
    const before = await snapshot();

    const summary = await runRosterSync({ source: writeRoster(files) });

    expect(summary).toMatchObject({ status: 'failed', reason, users: counts(), schools: counts(), memberships: counts() });
    expect(await snapshot()).toEqual(before);
    const runs = await withClient((c) => c.query(`SELECT status, summary->>'reason' AS reason FROM roster_sync_runs ORDER BY "startedAt"`));
    expect(runs.rows[1]).toEqual({ status: 'failed', reason });
  }

  it('rejects a roster without manifest.csv', async () => {
    const files = roster11(smallDistrict11().orgs, smallDistrict11().users);
    delete (files as Record<string, string>)['manifest.csv'];
    await expectFailure(files, expect.stringMatching(/^manifest\.csv is missing from \/.*roster-/));
  });

  it('rejects a roster missing a file the manifest names', async () => {
    const files = roster11(smallDistrict11().orgs, smallDistrict11().users);
    files['manifest.csv'] = manifest('1.1', { orgs: 'bulk', users: 'bulk', enrollments: 'bulk', classes: 'delta', courses: 'absent' });
    await expectFailure(files, expect.stringMatching(/^The manifest names enrollments\.csv, classes\.csv but .* does not have them$/));
  });

  it('rejects a file missing a required column, naming it', async () => {
    const { orgs, users } = smallDistrict11();
    const files = roster11(orgs, users);
    files['users.csv'] = files['users.csv'].replace(',givenName,', ',firstName,');
    await expectFailure(files, expect.stringMatching(/^users\.csv: required column "givenName" missing \(its header is: sourcedId,status,/));
  });

  it('rejects an unsupported OneRoster version', async () => {
    const files = roster11(smallDistrict11().orgs, smallDistrict11().users);
    files['manifest.csv'] = files['manifest.csv'].replace('oneroster.version,1.1', 'oneroster.version,1.0');
    await expectFailure(files, 'manifest.csv: oneroster.version is "1.0"; this sync reads OneRoster 1.1 and 1.2');
  });

  it('fails a run that names no source', async () => {
    const summary = await runRosterSync({});
    expect(summary).toMatchObject({ status: 'failed', reason: "No roster source: set the district's rosterSource (or ROSTER_SOURCE) or pass a source" });
  });
});

describe('bad rows', () => {
  it('skips rows with a missing value or a bad email, reports file and line, and applies the rest', async () => {
    const { orgs, users } = smallDistrict11();
    orgs.push({ sourcedId: 'sch-3', name: '' });
    users[0].familyName = 'Krabappel\nsecond line';
    users[1].givenName = '';
    users[2].email = 'not-an-email';
    users.push({ sourcedId: 'u-5', givenName: 'Otto', status: 'retired', orgs: ['sch-2'] });
    users.push({ sourcedId: 'u-6', givenName: 'Martin', orgs: ['sch-2'], role: 'pupil' });

    const summary = await runRosterSync({ source: writeRoster(roster11(orgs, users)) });

    expect(summary).toMatchObject({ status: 'succeeded', users: { ...counts(3), adopted: 0 }, schools: counts(2), memberships: counts(2) });
    expect(summary.errors).toEqual([
      { file: 'orgs.csv', line: 5, column: 'name', message: 'name is required' },
      { file: 'users.csv', line: 4, column: 'givenName', message: 'givenName is required' },
      { file: 'users.csv', line: 5, column: 'email', message: 'email is not a valid email address' },
      { file: 'users.csv', line: 7, column: 'status', message: 'status is not active, tobedeleted or inactive' },
      { file: 'users.csv', line: 8, column: 'role', message: 'role is not a known role; memberships skipped' },
    ]);
    expect(summary.errorCount).toBe(5);
    expect((await snapshot()).users.map((u) => u.sourcedId)).toEqual(['u-1', 'u-4', 'u-6']);
  });

  it('stores a report that names file, line and column but holds no part of the bad or clashing values', async () => {
    const { orgs, users } = smallDistrict11();
    await runRosterSync({ source: writeRoster(roster11(orgs, users)) });
    users[0].email = 'zelda.quixote@@springfield.example';
    users[1].email = users[3].email;
    users[2].username = users[3].username;
    users[3].status = 'wanderingxyz';

    const summary = await runRosterSync({ source: writeRoster(roster11(orgs, users)) });

    expect(summary.errors.map(({ file, line, column }) => `${file}:${line}:${column}`)).toEqual([
      'users.csv:2:email',
      'users.csv:3:email',
      'users.csv:4:username',
      'users.csv:5:status',
    ]);
    const stored = await withClient(async (c) => (await c.query(`SELECT summary::text AS text FROM roster_sync_runs ORDER BY "startedAt" DESC LIMIT 1`)).rows[0].text as string);
    for (const value of ['zelda', 'quixote', '@@', users[3].email!, users[3].email!.split('@')[0], users[3].username!, 'wanderingxyz']) {
      expect({ value, found: stored.toLowerCase().includes(value.toLowerCase()) }).toEqual({ value, found: false });
    }
  });

  it('keeps the existing record and links of a user whose row turns bad', async () => {
    const { orgs, users } = smallDistrict11();
    await runRosterSync({ source: writeRoster(roster11(orgs, users)) });
    const before = await snapshot();
    users[2].email = 'broken@';

    const summary = await runRosterSync({ source: writeRoster(roster11(orgs, users)) });

    expect(summary).toMatchObject({ status: 'succeeded', users: { ...counts(0, 0, 3), adopted: 0 }, memberships: counts(0, 0, 3), errorCount: 1 });
    expect(await snapshot()).toEqual(before);
  });

  it('reports over-long values', async () => {
    const { orgs, users } = smallDistrict11();
    users[0].givenName = 'x'.repeat(101);

    const summary = await runRosterSync({ source: writeRoster(roster11(orgs, users)) });

    expect(summary.errors).toEqual([{ file: 'users.csv', line: 2, column: 'givenName', message: 'givenName is longer than 100 characters' }]);
  });
});

describe('unique conflicts inside the roster', () => {
  it('reports the second of two users with the same email (in any case) and imports the first', async () => {
    const { orgs, users } = smallDistrict11();
    users[1].email = 'EDNA@springfield.example';

    const summary = await runRosterSync({ source: writeRoster(roster11(orgs, users)) });

    expect(summary).toMatchObject({ status: 'succeeded', users: { created: 3 } });
    expect(summary.errors).toEqual([
      { file: 'users.csv', line: 3, column: 'email', message: 'email is also on line 2; this row is skipped' },
    ]);
  });

  it('reports a repeated sourcedId and a repeated username', async () => {
    const { orgs, users } = smallDistrict11();
    users.push({ ...users[0], email: 'other@springfield.example', username: 'other' });
    users[3].username = 'bsimpson';

    const summary = await runRosterSync({ source: writeRoster(roster11(orgs, users)) });

    expect(summary.errors).toEqual([
      { file: 'users.csv', line: 5, column: 'username', message: 'username is also on line 3; this row is skipped' },
      { file: 'users.csv', line: 6, column: 'sourcedId', message: 'sourcedId is also on line 2; this row is skipped' },
    ]);
    expect((await snapshot()).users.map((u) => u.sourcedId)).toEqual(['u-1', 'u-2', 'u-3']);
  });

  it('reports a roster user whose email belongs to another roster user of the database', async () => {
    const { orgs, users } = smallDistrict11();
    await runRosterSync({ source: writeRoster(roster11(orgs, users)) });
    users[1].email = 'dewey@springfield.example';
    users[2].email = 'dewey.largo@springfield.example';
    users[3].email = 'edna@springfield.example';
    users[0].email = 'edna.k@springfield.example';

    const summary = await runRosterSync({ source: writeRoster(roster11(orgs, users)) });

    expect(summary).toMatchObject({ status: 'succeeded', users: { updated: 2, unchanged: 0 } });
    expect(summary.errors.map((e) => `${e.line} ${e.message}`)).toEqual([
      '3 email belongs to another user; this row is skipped',
      '5 email belongs to another user; this row is skipped',
    ]);
  });

  it('imports two orgs with the same identifier, the second without a code', async () => {
    const orgs = [
      { sourcedId: 'sch-1', name: 'North', identifier: 'SAME' },
      { sourcedId: 'sch-2', name: 'South', identifier: 'SAME' },
    ];
    await withClient((c) => c.query(`INSERT INTO schools (name, code) VALUES ('API school', 'TAKEN')`));
    const withTaken = [...orgs, { sourcedId: 'sch-3', name: 'East', identifier: 'TAKEN' }];

    const summary = await runRosterSync({ source: writeRoster(roster11(withTaken, [])) });

    expect(summary).toMatchObject({ status: 'succeeded', schools: counts(3) });
    expect(summary.errors).toEqual([
      { file: 'orgs.csv', line: 3, column: 'identifier', message: 'identifier is also on line 2; the school is imported without a code' },
      { file: 'orgs.csv', line: 4, column: 'identifier', message: 'identifier is the code of another school; the school is imported without a code' },
    ]);
    expect((await snapshot()).schools.map((s) => [s.sourcedId, s.code])).toEqual([['sch-1', 'SAME'], ['sch-2', null], ['sch-3', null], [null, 'TAKEN']]);
  });
});

describe('orgs.csv', () => {
  it('counts and skips orgs that are not schools', async () => {
    const orgs = [
      { sourcedId: 'd', name: 'District', type: 'district' },
      { sourcedId: 'dep', name: 'History', type: 'department' },
      { sourcedId: 's', name: 'School', type: 'School' },
    ];

    const summary = await runRosterSync({ source: writeRoster({ ...roster11([], []), 'orgs.csv': orgsCsv(orgs) }) });

    expect(summary).toMatchObject({ schools: counts(1), otherOrgs: 2 });
  });
});
