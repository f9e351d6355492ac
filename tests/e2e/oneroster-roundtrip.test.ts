import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { startOAuthTokenServer, type OAuthTokenServer } from '../../scripts/oauth-token';
import { runRosterSync } from '../../shared/roster/sync';
import { recreateDatabase } from '../support/databases';
import { resetRoster } from '../support/roster';
import { roster11, writeRoster, type Org, type User11 } from '../support/roster';
import { startOffline, type OfflineServer } from '../../scripts/offline-server';
import { startFakeSecretsManager, type FakeSecretsManager } from '../support/secrets-manager';

/**
 * The OneRoster round trip (docs/oneroster.md#the-round-trip): one deployment's OneRoster endpoints, served by serverless-offline over the
 * worker's database, are the roster source of a district in a second database, synced by `npm run sync`
 * as a scheduled run would (the REST pull in-process, its credentials from a Secrets Manager stand-in, its
 * token from the local client-credentials endpoint). The second database ends with the same users,
 * schools and memberships, and follows a change in the first at its next sync.
 */
const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const PREFIX = 'school-roster/roundtrip/districts/';
const CLIENT = { clientId: 'mirror-lms', clientSecret: 'roundtrip-secret-3f9c' };

jest.setTimeout(180_000);

let server: OfflineServer;
let tokens: OAuthTokenServer;
let secrets: FakeSecretsManager;
let mirrorUrl: string;
let mirrorDistrict: string;

async function query<T extends pg.QueryResultRow>(url: string, sql: string, bind: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, bind)).rows;
  } finally {
    await client.end();
  }
}

/** `npm run sync -- --district <id>` against the mirror, in a process of its own. */
async function syncMirror(): Promise<string> {
  // No ROSTER_PULL_FUNCTION: the pull runs in the sync's own process, as `npm run sync` runs it locally.
  const { ROSTER_PULL_FUNCTION: _deployedOnly, ...env } = process.env;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/sync.ts'), '--district', mirrorDistrict], {
    cwd: ROOT,
    env: {
      ...env,
      DATABASE_URL: mirrorUrl,
      DB_SECRETS_ENDPOINT: secrets.endpoint,
      ROSTER_CREDENTIALS_PREFIX: PREFIX,
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    },
  });
  return stdout;
}

/**
 * What both databases must agree on, in values a person would compare: live users with at least one
 * membership (OneRoster serves no other), live schools, and the memberships by email and school name,
 * with the role OneRoster can carry (a guest lecturer is a `teacher` there).
 */
async function roster(url: string) {
  const users = await query(
    url,
    `SELECT "firstName", "lastName", email, "userName" FROM users u
      WHERE "deletedAt" IS NULL AND EXISTS (SELECT 1 FROM user_schools l WHERE l."userUserId" = u."userId") ORDER BY email`,
  );
  const schools = await query(url, `SELECT name, code FROM schools WHERE "deletedAt" IS NULL ORDER BY name`);
  const memberships = await query(
    url,
    `SELECT u.email, s.name AS school, CASE l.role WHEN 'guestLecturer' THEN 'teacher' ELSE l.role::text END AS role
       FROM user_schools l JOIN users u ON u."userId" = l."userUserId" JOIN schools s ON s."schoolId" = l."schoolSchoolId"
      WHERE u."deletedAt" IS NULL AND s."deletedAt" IS NULL ORDER BY 1, 2`,
  );
  return { users, schools, memberships };
}

const orgs: Org[] = [
  { sourcedId: 'dist', name: 'Shelbyville District', type: 'district' },
  { sourcedId: 'sch-n', name: 'North Shelbyville', identifier: 'NS-01' },
  { sourcedId: 'sch-s', name: 'South Shelbyville', identifier: 'SS-02' },
  { sourcedId: 'sch-e', name: 'East Shelbyville' },
];
const users: User11[] = Array.from({ length: 40 }, (_, i) => ({
  sourcedId: `p-${i}`,
  givenName: `Given${i}`,
  familyName: i % 7 === 0 ? undefined : `Family${i}`,
  email: `person${i}@shelbyville.example`,
  username: i % 5 === 0 ? undefined : `person${i}`,
  orgs: i === 0 ? ['sch-n', 'sch-s', 'sch-e'] : [['sch-n', 'sch-s', 'sch-e'][i % 3]],
  role: i === 0 ? 'guestLecturer' : i % 4 === 0 ? 'teacher' : 'student',
}));

beforeAll(async () => {
  await resetRoster();
  expect(await runRosterSync({ source: writeRoster(roster11(orgs, users)) })).toMatchObject({ status: 'succeeded' });
  server = await startOffline();
  tokens = await startOAuthTokenServer({ ...CLIENT, keyFile: server.keyFile });
  secrets = await startFakeSecretsManager();

  mirrorUrl = await recreateDatabase(process.env.TEST_SERVER_URL!, `roster_mirror_${process.env.JEST_WORKER_ID}`);
  await run(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/migrate.ts')], { cwd: ROOT, env: { ...process.env, DATABASE_URL: mirrorUrl } });
  [{ districtId: mirrorDistrict }] = await query<{ districtId: string }>(
    mirrorUrl,
    `INSERT INTO districts (name, "rosterSource") VALUES ('Mirror of Shelbyville', $1) RETURNING "districtId"`,
    [`${server.baseUrl}/ims/oneroster/rostering/v1p2`],
  );
  secrets.put(`${PREFIX}${mirrorDistrict}/oneroster`, { ...CLIENT, tokenUrl: tokens.tokenUrl });
}, 180_000);

afterAll(async () => {
  await server?.stop();
  await tokens?.close();
  await secrets?.close();
});

describe('OneRoster both ways: a second deployment syncs a district from the first one\'s OneRoster endpoints', () => {
  it('ends with the same users, schools and memberships, identified by the first one\'s ids', async () => {
    const output = await syncMirror();

    expect(output).toMatch(/^Roster sync succeeded/);
    const source = await roster(process.env.DATABASE_URL!);
    expect(source.users).toHaveLength(40);
    expect(source.memberships).toHaveLength(42);
    expect(await roster(mirrorUrl)).toEqual(source);
    // The mirror's roster identities are the first deployment's own ids (OneRoster's sourcedId).
    const ids = (rows: { id: string }[]) => rows.map((row) => row.id).sort();
    expect(ids(await query(mirrorUrl, `SELECT "sourcedId" AS id FROM user_roster_identities`))).toEqual(
      ids(await query(process.env.DATABASE_URL!, `SELECT "userId"::text AS id FROM users`)),
    );
    // A second sync of an unchanged source changes nothing.
    expect(await syncMirror()).toMatch(/^Roster sync succeeded/);
    const [last] = await query<{ summary: { users: { updated: number; created: number }; memberships: { created: number; deleted: number } } }>(
      mirrorUrl,
      `SELECT summary FROM roster_sync_runs ORDER BY "startedAt" DESC LIMIT 1`,
    );
    expect(last.summary).toMatchObject({ users: { created: 0, updated: 0 }, memberships: { created: 0, deleted: 0 } });
  });

  it('follows a change in the first deployment at its next sync: a rename, a new member, a role change and a departure', async () => {
    const changed = users.map((u) => {
      if (u.sourcedId === 'p-1') return { ...u, givenName: 'Renamed' };
      if (u.sourcedId === 'p-2') return { ...u, role: 'aide' };
      return u;
    });
    changed.splice(changed.findIndex((u) => u.sourcedId === 'p-3'), 1);
    changed.push({ sourcedId: 'p-new', givenName: 'Newcomer', familyName: 'Late', email: 'newcomer@shelbyville.example', orgs: ['sch-e'], role: 'student' });
    expect(await runRosterSync({ source: writeRoster(roster11(orgs, changed)) })).toMatchObject({
      status: 'succeeded',
      users: { created: 1, updated: 1, deleted: 1 },
    });

    expect(await syncMirror()).toMatch(/^Roster sync succeeded/);

    const mirrored = await roster(mirrorUrl);
    expect(mirrored).toEqual(await roster(process.env.DATABASE_URL!));
    expect(mirrored.users.map((u) => u.firstName)).toEqual(expect.arrayContaining(['Renamed', 'Newcomer']));
    expect(mirrored.users.map((u) => u.email)).not.toContain('person3@shelbyville.example');
    expect(mirrored.memberships).toContainEqual({ email: 'person2@shelbyville.example', school: 'East Shelbyville', role: 'aide' });
  });
});
