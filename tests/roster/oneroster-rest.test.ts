import { readdirSync } from 'node:fs';
import os from 'node:os';
import { text } from 'node:stream/consumers';
import { getSequelize } from '../../shared/db/sequelize';
import { districtLockKey } from '../../shared/roster/districts';
import { OneRosterSourceError } from '../../shared/roster/oneroster-http';
import { pullOneRosterRest, type OneRosterRestOptions } from '../../shared/roster/oneroster-rest';
import type { RosterSource } from '../../shared/roster/source';
import { runRosterSync } from '../../shared/roster/sync';
import { startFakeSis, type FakeSis, type FakeSisOptions } from '../support/oneroster-sis';
import { withClient } from '../support/db';
import { createDistrict } from '../support/districts';
import { counts, resetRoster, snapshot } from '../support/roster';
import { ADVISORY_LOCKS } from '../../shared/db/advisory-locks';

afterAll(() => getSequelize().close());

const V12 = '/ims/oneroster/rostering/v1p2';
const V11 = '/ims/oneroster/v1p1';
const STAMP = '2026-11-30T10:00:00.000Z';

function ref(sourcedId: string) {
  return { href: `https://sis.example${V12}/orgs/${sourcedId}`, sourcedId, type: 'org' };
}

const ORGS = [
  { sourcedId: 'dist', status: 'active', dateLastModified: STAMP, name: 'Shelbyville District', type: 'district', identifier: 'D-1' },
  { sourcedId: 'sch-a', status: 'active', dateLastModified: STAMP, name: 'Alpha Academy', type: 'school', identifier: 'A', parent: ref('dist') },
  { sourcedId: 'sch-b', status: 'active', dateLastModified: STAMP, name: 'Beta, "the" School', type: 'school', identifier: 'B', parent: ref('dist') },
];

function user12(sourcedId: string, givenName: string, familyName: string, roles: [string, string, string][], extra: object = {}) {
  return {
    sourcedId, status: 'active', dateLastModified: STAMP, enabledUser: 'true', username: sourcedId, givenName, familyName,
    email: `${sourcedId}@shelbyville.example`,
    roles: roles.map(([roleType, role, org]) => ({ roleType, role, org: ref(org) })),
    ...extra,
  };
}

const USERS_12 = [
  user12('t-1', 'Tess', 'Teacher', [['primary', 'teacher', 'sch-a'], ['secondary', 'teacher', 'sch-b']], { primaryOrg: ref('sch-a') }),
  user12('s-1', 'Sam', "O'Student", [['primary', 'student', 'sch-a']]),
  user12('p-1', 'Pat', 'Principal', [['primary', 'principal', 'sch-b'], ['primary', 'districtAdministrator', 'dist']]),
  user12('s-2', 'Sue', 'Student', [['primary', 'student', 'sch-b']]),
  user12('a-1', 'Al', 'Aide', [['primary', 'aide', 'sch-a']]),
];

let sis: FakeSis | undefined;
const waits: number[] = [];

async function serve(options: Partial<FakeSisOptions> & { basePath?: string } = {}): Promise<FakeSis> {
  sis = await startFakeSis({ basePath: V12, orgs: ORGS, users: USERS_12, ...options });
  return sis;
}

function pullOptions(server: FakeSis, options: Partial<OneRosterRestOptions> = {}): OneRosterRestOptions {
  return {
    baseUrl: server.baseUrl,
    tokenUrl: server.tokenUrl,
    credentials: { clientId: 'district-client', clientSecret: 's3cret:with/odd chars' },
    deployed: false,
    pageSize: 2,
    sleep: async (ms) => {
      waits.push(ms);
    },
    ...options,
  };
}

async function files(source: RosterSource, names: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of names) out[name] = await text(await source.open(name));
  return out;
}

function pullFolders(): string[] {
  return readdirSync(os.tmpdir()).filter((name) => name.startsWith('oneroster-rest-'));
}

beforeEach(() => {
  waits.length = 0;
});

afterEach(async () => {
  await sis?.close();
  sis = undefined;
});

describe('a OneRoster 1.2 REST source', () => {
  it('pages without count headers, waits out a 429, takes a new token once and writes the CSV export', async () => {
    // Data GETs: orgs 0, 2, (4: 429, again); users 0 (then the token is revoked: 401, new token, again), 2, 4.
    const server = await serve({ throttle: { request: 3, retryAfter: '2' }, rotateTokenAfter: 4 });

    const source = await pullOneRosterRest(pullOptions(server));

    expect(server.log).toEqual([
      'POST /token 200',
      `GET ${V12}/orgs?limit=2&offset=0 200`,
      `GET ${V12}/orgs?limit=2&offset=2 200`,
      `GET ${V12}/users?limit=2&offset=0 429`,
      `GET ${V12}/users?limit=2&offset=0 200`,
      `GET ${V12}/users?limit=2&offset=2 401`,
      'POST /token 200',
      `GET ${V12}/users?limit=2&offset=2 200`,
      `GET ${V12}/users?limit=2&offset=4 200`,
    ]);
    expect(waits).toEqual([2000]);
    expect(source.location).toBe(server.baseUrl);
    expect(['manifest.csv', 'orgs.csv', 'users.csv', 'roles.csv', 'enrollments.csv'].map((name) => source.has(name))).toEqual([true, true, true, true, false]);
    expect(await files(source, ['manifest.csv', 'orgs.csv', 'users.csv', 'roles.csv'])).toEqual({
      'manifest.csv': 'propertyName,value\nmanifest.version,1.0\noneroster.version,1.2\nfile.orgs,bulk\nfile.users,bulk\nfile.roles,bulk\n',
      'orgs.csv': [
        'sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId',
        `dist,active,${STAMP},Shelbyville District,district,D-1,`,
        `sch-a,active,${STAMP},Alpha Academy,school,A,dist`,
        `sch-b,active,${STAMP},"Beta, ""the"" School",school,B,dist`,
        '',
      ].join('\n'),
      'users.csv': [
        'sourcedId,status,dateLastModified,enabledUser,username,givenName,familyName,email,primaryOrgSourcedId',
        `t-1,active,${STAMP},true,t-1,Tess,Teacher,t-1@shelbyville.example,sch-a`,
        `s-1,active,${STAMP},true,s-1,Sam,O'Student,s-1@shelbyville.example,`,
        `p-1,active,${STAMP},true,p-1,Pat,Principal,p-1@shelbyville.example,`,
        `s-2,active,${STAMP},true,s-2,Sue,Student,s-2@shelbyville.example,`,
        `a-1,active,${STAMP},true,a-1,Al,Aide,a-1@shelbyville.example,`,
        '',
      ].join('\n'),
      'roles.csv': [
        'sourcedId,status,dateLastModified,userSourcedId,roleType,role,orgSourcedId',
        `t-1:sch-a:teacher,active,${STAMP},t-1,primary,teacher,sch-a`,
        `t-1:sch-b:teacher,active,${STAMP},t-1,secondary,teacher,sch-b`,
        `s-1:sch-a:student,active,${STAMP},s-1,primary,student,sch-a`,
        `p-1:sch-b:principal,active,${STAMP},p-1,primary,principal,sch-b`,
        `p-1:dist:districtAdministrator,active,${STAMP},p-1,primary,districtAdministrator,dist`,
        `s-2:sch-b:student,active,${STAMP},s-2,primary,student,sch-b`,
        `a-1:sch-a:aide,active,${STAMP},a-1,primary,aide,sch-a`,
        '',
      ].join('\n'),
    });
    await source.close();
    expect(pullFolders()).toEqual([]);
  });

  it('follows a SIS that serves fewer records per page than asked, to the end', async () => {
    const server = await serve({ maxPageSize: 2 });

    const source = await pullOneRosterRest(pullOptions(server, { pageSize: 3 }));

    expect(server.log.filter((line) => line.includes('/users'))).toEqual([
      `GET ${V12}/users?limit=3&offset=0 200`,
      `GET ${V12}/users?limit=3&offset=2 200`,
      `GET ${V12}/users?limit=3&offset=4 200`,
    ]);
    expect((await text(await source.open('users.csv'))).trim().split('\n')).toHaveLength(1 + USERS_12.length);
    await source.close();
  });

  it('asks for one more page when the last full page could be the end', async () => {
    const server = await serve({ users: USERS_12.slice(0, 4) });

    const source = await pullOneRosterRest(pullOptions(server));

    expect(server.log.filter((line) => line.includes('/users'))).toEqual([
      `GET ${V12}/users?limit=2&offset=0 200`,
      `GET ${V12}/users?limit=2&offset=2 200`,
      `GET ${V12}/users?limit=2&offset=4 200`,
    ]);
    await source.close();
  });

  it('is imported through the sync as the CSV export is, and a second pull changes nothing', async () => {
    await resetRoster();
    const server = await serve();

    const summary = await runRosterSync({ rosterSource: await pullOneRosterRest(pullOptions(server)) });

    expect(summary).toMatchObject({
      status: 'succeeded',
      source: server.baseUrl,
      version: '1.2',
      users: { ...counts(5), adopted: 0 },
      schools: counts(2),
      memberships: counts(6),
      otherOrgs: 1,
      otherOrgMemberships: 1,
      errorCount: 0,
    });
    expect(await snapshot()).toEqual({
      users: [
        { sourcedId: 'a-1', firstName: 'Al', lastName: 'Aide', email: 'a-1@shelbyville.example', userName: 'a-1', deleted: false },
        { sourcedId: 'p-1', firstName: 'Pat', lastName: 'Principal', email: 'p-1@shelbyville.example', userName: 'p-1', deleted: false },
        { sourcedId: 's-1', firstName: 'Sam', lastName: "O'Student", email: 's-1@shelbyville.example', userName: 's-1', deleted: false },
        { sourcedId: 's-2', firstName: 'Sue', lastName: 'Student', email: 's-2@shelbyville.example', userName: 's-2', deleted: false },
        { sourcedId: 't-1', firstName: 'Tess', lastName: 'Teacher', email: 't-1@shelbyville.example', userName: 't-1', deleted: false },
      ],
      schools: [
        { sourcedId: 'sch-a', name: 'Alpha Academy', code: 'A', deleted: false },
        { sourcedId: 'sch-b', name: 'Beta, "the" School', code: 'B', deleted: false },
      ],
      links: [
        { user: 'a-1', school: 'sch-a', role: 'aide', source: 'roster' },
        { user: 'p-1', school: 'sch-b', role: 'principal', source: 'roster' },
        { user: 's-1', school: 'sch-a', role: 'student', source: 'roster' },
        { user: 's-2', school: 'sch-b', role: 'student', source: 'roster' },
        { user: 't-1', school: 'sch-a', role: 'teacher', source: 'roster' },
        { user: 't-1', school: 'sch-b', role: 'teacher', source: 'roster' },
      ],
    });
    expect(pullFolders()).toEqual([]);

    const again = await runRosterSync({ rosterSource: await pullOneRosterRest(pullOptions(server)) });
    expect(again).toMatchObject({ status: 'succeeded', users: { ...counts(0, 0, 5), adopted: 0 }, schools: counts(0, 0, 2), memberships: counts(0, 0, 6) });
  });

  it('is closed by a run that the lock of another run skips, leaving nothing on disk', async () => {
    const server = await serve();
    const source = await pullOneRosterRest(pullOptions(server));

    const districtId = await createDistrict('Springfield');
    const summary = await withClient(async (client) => {
      await client.query('SELECT pg_advisory_lock($1, $2)', [ADVISORY_LOCKS.districtSync, districtLockKey(districtId)]);
      try {
        return await runRosterSync({ districtId, rosterSource: source });
      } finally {
        await client.query('SELECT pg_advisory_unlock($1, $2)', [ADVISORY_LOCKS.districtSync, districtLockKey(districtId)]);
      }
    });

    expect(summary).toMatchObject({ status: 'skipped', source: server.baseUrl });
    expect(pullFolders()).toEqual([]);
  });
});

describe('a OneRoster 1.1 REST source', () => {
  it('writes each user\'s role and orgs into users.csv, and the sync imports them', async () => {
    await resetRoster();
    const users = [
      { sourcedId: 'u-1', status: 'active', dateLastModified: STAMP, enabledUser: true, username: 'u1', givenName: 'Una', familyName: 'One', email: 'u1@shelbyville.example', role: 'teacher', orgs: [ref('sch-a'), ref('sch-b')] },
      { sourcedId: 'u-2', status: 'tobedeleted', dateLastModified: STAMP, username: 'u2', givenName: 'Dee', familyName: 'Two', email: 'u2@shelbyville.example', role: 'student', orgs: [ref('sch-a')] },
      { sourcedId: 'u-3', status: 'active', dateLastModified: STAMP, username: 'u3', givenName: 42, familyName: 'Three', email: 'u3@shelbyville.example', role: 'student', orgs: [ref('sch-a')] },
    ];
    const server = await serve({ basePath: V11, users });

    const source = await pullOneRosterRest(pullOptions(server));
    expect(await files(source, ['manifest.csv', 'users.csv'])).toEqual({
      'manifest.csv': 'propertyName,value\nmanifest.version,1.0\noneroster.version,1.1\nfile.orgs,bulk\nfile.users,bulk\n',
      'users.csv': [
        'sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,givenName,familyName,email',
        `u-1,active,${STAMP},true,"sch-a,sch-b",teacher,u1,Una,One,u1@shelbyville.example`,
        `u-2,tobedeleted,${STAMP},,sch-a,student,u2,Dee,Two,u2@shelbyville.example`,
        `u-3,active,${STAMP},,sch-a,student,u3,,Three,u3@shelbyville.example`,
        '',
      ].join('\n'),
    });
    expect(source.has('roles.csv')).toBe(false);

    const summary = await runRosterSync({ rosterSource: source });

    expect(summary).toMatchObject({
      status: 'succeeded',
      version: '1.1',
      users: { ...counts(1), adopted: 0 },
      memberships: counts(2),
      errors: [{ file: 'users.csv', line: 4, column: 'givenName', message: 'givenName is required' }],
    });
  });
});

describe('a OneRoster REST source that cannot be read', () => {
  async function refusal(options: Partial<FakeSisOptions>, pull: Partial<OneRosterRestOptions> = {}): Promise<{ error: unknown; log: string[] }> {
    const server = await serve(options);
    const error = await pullOneRosterRest(pullOptions(server, pull)).then(
      () => new Error('the pull succeeded'),
      (caught: unknown) => caught,
    );
    expect(pullFolders()).toEqual([]);
    return { error, log: server.log };
  }

  it('fails on credentials the SIS refuses, and the message holds no secret', async () => {
    const { error } = await refusal({ clientSecret: 'another' });
    expect(error).toBeInstanceOf(OneRosterSourceError);
    expect((error as Error).message).toMatch(/^The OneRoster source http:\/\/127\.0\.0\.1:\d+\/token refused the client credentials \(401\)$/);
  });

  it('gives up after a bounded number of 429s, having waited each time', async () => {
    const { error, log } = await refusal({ alwaysStatus: 429 }, { maxAttempts: 3 });
    expect((error as Error).message).toMatch(/orgs answered 429 3 times$/);
    expect(log.filter((line) => line.startsWith('GET'))).toHaveLength(3);
    expect(waits).toEqual([1000, 1000]);
  });

  it('does not idle through a Retry-After longer than it waits', async () => {
    const { error } = await refusal({ throttle: { request: 1, retryAfter: '3600' } });
    expect((error as Error).message).toMatch(/asked to retry after 3600 s, longer than the pull waits$/);
    expect(waits).toEqual([]);
  });

  it('fails when a new token is refused too, after taking exactly one', async () => {
    const { error, log } = await refusal({ alwaysStatus: 401 });
    expect((error as Error).message).toMatch(/orgs refused a freshly issued token \(401\)$/);
    expect(log.filter((line) => line.startsWith('POST'))).toHaveLength(2);
  });

  it('reaches no loopback address when deployed, nor plain http', async () => {
    const { error, log } = await refusal({}, { deployed: true });
    expect((error as Error).message).toMatch(/cannot be reached: 127\.0\.0\.1:\d+: only https URLs are reached when deployed/);
    expect(log).toEqual([]);
  });

  it('fails on a path the SIS does not serve, naming the path and the status', async () => {
    const server = await serve();
    const baseUrl = server.baseUrl.replace('/rostering/', '/rostering/wrong/');
    await expect(pullOneRosterRest(pullOptions(server, { baseUrl }))).rejects.toThrow(/rostering\/wrong\/v1p2\/orgs answered 404$/);
    expect(pullFolders()).toEqual([]);
  });

  it('fails on a base URL whose version it cannot tell, before any request', async () => {
    const server = await serve();
    await expect(pullOneRosterRest(pullOptions(server, { baseUrl: server.baseUrl.replace('/v1p2', '') }))).rejects.toThrow(/does not end in v1p1 or v1p2/);
    expect(server.log).toEqual([]);
  });
});
