import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import type { SyncSummary } from '../../shared/roster/types';
import { withClient } from '../support/db';
import { lambdaContext } from '../support/events';
import { createDistrict } from '../support/districts';
import { startFakeLambda, type FakeLambda } from '../support/lambda';
import { startFakeSis, type FakeSis } from '../support/oneroster-sis';
import { resetRoster, snapshot } from '../support/roster';
import { startFakeSecretsManager, type FakeSecretsManager } from '../support/secrets-manager';
import { capturingOutput } from '../support/output';

/**
 * A district whose SIS serves OneRoster REST, synced as deployed (docs/oneroster.md#how-the-pull-leaves-the-vpc):
 * the sync invokes the puller function (here through a stand-in of the Lambda API), which reads the
 * district's credentials (a stand-in of Secrets Manager), pages the SIS (a double that pages without
 * count headers, answers 429 once and rotates its token once) and writes the CSV export to the roster
 * bucket (s3rver); the sync imports that copy and deletes it. Everything is real but the AWS services,
 * and nothing leaves 127.0.0.1.
 */
jest.setTimeout(60_000);

const V12 = '/ims/oneroster/rostering/v1p2';
const BUCKET = 'school-roster-exports-local';
const PULLER = 'school-roster-local-roster-pull';
const CLIENT_SECRET = 'sis-Cl13nt-s3cret-7d1e9b';
const STAMP = '2026-12-01T08:00:00.000Z';

const ref = (sourcedId: string) => ({ href: `https://sis.example${V12}/orgs/${sourcedId}`, sourcedId, type: 'org' });
const ORGS = [
  { sourcedId: 'dist', status: 'active', dateLastModified: STAMP, name: 'Springfield District', type: 'district', identifier: 'D' },
  { sourcedId: 'sch-a', status: 'active', dateLastModified: STAMP, name: 'Alpha Academy', type: 'school', identifier: 'A', parent: ref('dist') },
  { sourcedId: 'sch-b', status: 'active', dateLastModified: STAMP, name: 'Beta School', type: 'school', identifier: 'B', parent: ref('dist') },
];
function user(sourcedId: string, givenName: string, familyName: string, roles: [string, string][]) {
  return {
    sourcedId, status: 'active', dateLastModified: STAMP, enabledUser: 'true', username: sourcedId, givenName, familyName,
    email: `${sourcedId}@springfield.example`,
    roles: roles.map(([role, org]) => ({ roleType: 'primary', role, org: ref(org) })),
  };
}
const USERS = [
  user('t-1', 'Edna', 'Krabappel', [['teacher', 'sch-a'], ['teacher', 'sch-b']]),
  user('s-1', 'Bart', 'Simpson', [['student', 'sch-a']]),
  user('s-2', 'Lisa', 'Simpson', [['student', 'sch-b']]),
  user('a-1', 'Otto', 'Mann', [['aide', 'sch-b']]),
  user('p-1', 'Seymour', 'Skinner', [['principal', 'sch-a']]),
];

let s3server: S3rver;
let s3: S3Client;
let secrets: FakeSecretsManager;
let lambda: FakeLambda;
let sis: FakeSis | undefined;
let runRosterSync: typeof import('../../shared/roster/sync').runRosterSync;
let syncFunction: typeof import('../../functions/sync').handler;
const logLines: string[] = [];

/** Loads `modulePath` against its own copy of the service's modules, with `env` added to the environment. */
function loadWith<T>(env: Record<string, string | undefined>, modulePath: string): T {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete process.env[key];
  try {
    let loaded!: T;
    jest.isolateModules(() => {
      loaded = require(modulePath) as T;
    });
    return loaded;
  } finally {
    process.env = saved;
  }
}

beforeAll(async () => {
  s3server = new S3rver({
    address: '127.0.0.1', port: 0, silent: true,
    directory: mkdtempSync(path.join(os.tmpdir(), 's3rver-')),
    configureBuckets: [{ name: BUCKET, configs: [] }],
  });
  const { port } = await s3server.run();
  secrets = await startFakeSecretsManager();
  const aws = {
    S3_ENDPOINT: `http://127.0.0.1:${port}`,
    DB_SECRETS_ENDPOINT: secrets.endpoint,
    AWS_REGION: 'eu-west-1',
    // s3rver's fixed keys; the other stand-ins take any signature.
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    POWERTOOLS_LOG_LEVEL: 'INFO',
  };
  Object.assign(process.env, aws);
  // The puller as deployed: its own container, with the bucket and no database work.
  const puller = loadWith<typeof import('../../functions/roster-pull')>({ ROSTER_PULL_BUCKET: BUCKET }, '../../functions/roster-pull');
  lambda = await startFakeLambda({ [PULLER]: puller.handler as never });
  // The sync as deployed: it invokes the puller instead of reaching the SIS itself.
  const deployedSync = { ROSTER_PULL_FUNCTION: PULLER, LAMBDA_ENDPOINT: lambda.endpoint };
  ({ runRosterSync } = loadWith<typeof import('../../shared/roster/sync')>(deployedSync, '../../shared/roster/sync'));
  ({ handler: syncFunction } = loadWith<typeof import('../../functions/sync')>(deployedSync, '../../functions/sync'));
  s3 = new S3Client({ endpoint: aws.S3_ENDPOINT, forcePathStyle: true, region: 'eu-west-1' });
});

afterAll(async () => {
  s3?.destroy();
  await lambda?.close();
  await secrets?.close();
  await s3server?.close();
});

beforeEach(async () => {
  await resetRoster();
  logLines.length = 0;
  secrets.log.length = 0;
  lambda.log.length = 0;
});

afterEach(async () => {
  await sis?.close();
  sis = undefined;
});

async function bucketKeys(): Promise<string[]> {
  const { Contents } = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
  return (Contents ?? []).map((object) => object.Key ?? '');
}

/** Runs `work` with the service's stdout and stderr (its JSON log lines) captured into logLines. */
const capturingLogs = <T>(work: () => Promise<T>) => capturingOutput(logLines, work);

/** Every row of every table of the service's schema, as text. */
async function everyTableAsText(): Promise<string> {
  return withClient(async (c) => {
    const { rows: tables } = await c.query<{ name: string }>(`SELECT quote_ident(tablename) AS name FROM pg_tables WHERE schemaname = 'public'`);
    let text = '';
    for (const { name } of tables) text += (await c.query(`SELECT coalesce(json_agg(t)::text, '') AS rows FROM ${name} t`)).rows[0].rows;
    return text;
  });
}

async function restDistrict(options: { users?: object[]; secret?: object | null } = {}) {
  sis = await startFakeSis({
    basePath: V12, orgs: ORGS, users: options.users ?? USERS, clientSecret: CLIENT_SECRET,
    maxPageSize: 2, throttle: { request: 3, retryAfter: '1' }, rotateTokenAfter: 5,
  });
  const districtId = await createDistrict('Springfield', { rosterSource: sis.baseUrl });
  const name = `school-roster/local/districts/${districtId}/oneroster`;
  if (options.secret !== null) secrets.put(name, options.secret ?? { clientId: 'district-client', clientSecret: CLIENT_SECRET, tokenUrl: sis.tokenUrl });
  return { districtId, secretName: name, sis };
}

describe('a district whose SIS serves OneRoster REST', () => {
  it('is pulled outside the VPC into the bucket, imported from there, and the copy deleted; no credential is kept or logged', async () => {
    const { districtId, secretName, sis: server } = await restDistrict();

    const summary = (await capturingLogs(() => syncFunction({ districtId }, lambdaContext()))) as SyncSummary;

    expect(summary).toMatchObject({ status: 'succeeded', districtId, source: server.baseUrl, sourceKind: 'oneroster-rest', version: '1.2', errorCount: 0 });
    expect(summary.users).toMatchObject({ created: 5 });
    expect(summary.memberships).toMatchObject({ created: 6 });
    expect(await snapshot()).toEqual({
      users: ['a-1', 'p-1', 's-1', 's-2', 't-1'].map((id) => expect.objectContaining({ sourcedId: id, email: `${id}@springfield.example`, deleted: false })),
      schools: [
        { sourcedId: 'sch-a', name: 'Alpha Academy', code: 'A', deleted: false },
        { sourcedId: 'sch-b', name: 'Beta School', code: 'B', deleted: false },
      ],
      links: [
        { user: 'a-1', school: 'sch-b', role: 'aide', source: 'roster' },
        { user: 'p-1', school: 'sch-a', role: 'principal', source: 'roster' },
        { user: 's-1', school: 'sch-a', role: 'student', source: 'roster' },
        { user: 's-2', school: 'sch-b', role: 'student', source: 'roster' },
        { user: 't-1', school: 'sch-a', role: 'teacher', source: 'roster' },
        { user: 't-1', school: 'sch-b', role: 'teacher', source: 'roster' },
      ],
    });
    // The whole path: one invocation of the puller, one read of the district's secret, the SIS paged
    // past a 429 and a rotated token, and the bucket empty again.
    expect(lambda.log).toEqual([PULLER]);
    expect(secrets.log).toEqual([`secretsmanager.GetSecretValue ${secretName}`]);
    // The SIS serves 2 records a page whatever the limit, and no count.
    expect(server.log).toEqual([
      'POST /token 200',
      `GET ${V12}/orgs?limit=500&offset=0 200`,
      `GET ${V12}/orgs?limit=500&offset=2 200`,
      `GET ${V12}/users?limit=500&offset=0 429`,
      `GET ${V12}/users?limit=500&offset=0 200`,
      `GET ${V12}/users?limit=500&offset=2 200`,
      `GET ${V12}/users?limit=500&offset=4 401`,
      'POST /token 200',
      `GET ${V12}/users?limit=500&offset=4 200`,
    ]);
    expect(await bucketKeys()).toEqual([]);

    const stored = await everyTableAsText();
    const logged = logLines.join('');
    expect(stored).toContain(server.baseUrl);
    expect(logged).toContain('"message":"roster sync"');
    for (const text of [stored, logged, JSON.stringify(summary)]) {
      expect(text).not.toContain(CLIENT_SECRET);
      expect(text).not.toContain(Buffer.from(`district-client:${encodeURIComponent(CLIENT_SECRET)}`).toString('base64'));
      expect(text).not.toMatch(/tok-\d/);
    }
  });

  it('sees a change at the SIS on the next sync (a user gone, a role moved)', async () => {
    const { districtId } = await restDistrict();
    await runRosterSync({ districtId });
    await sis?.close();
    const changed = USERS.filter((u) => u.sourcedId !== 's-2').map((u) => (u.sourcedId === 'a-1' ? user('a-1', 'Otto', 'Mann', [['aide', 'sch-a']]) : u));
    sis = await startFakeSis({ basePath: V12, orgs: ORGS, users: changed, clientSecret: CLIENT_SECRET });
    await withClient((c) => c.query(`UPDATE districts SET "rosterSource" = $1`, [sis?.baseUrl]));
    secrets.put(`school-roster/local/districts/${districtId}/oneroster`, { clientId: 'district-client', clientSecret: CLIENT_SECRET, tokenUrl: sis.tokenUrl });

    const summary = await runRosterSync({ districtId, force: true });

    expect(summary).toMatchObject({ status: 'succeeded', users: expect.objectContaining({ deleted: 1 }) });
    const { users, links } = await snapshot();
    expect(users.filter((u) => u.deleted).map((u) => u.sourcedId)).toEqual(['s-2']);
    expect(links.filter((l) => l.user === 'a-1')).toEqual([{ user: 'a-1', school: 'sch-a', role: 'aide', source: 'roster' }]);
    expect(await bucketKeys()).toEqual([]);
  });

  it.each([
    ['no secret for the district', null, /secret school-roster\/local\/districts\/[0-9a-f-]{36}\/oneroster does not exist/],
    ['a secret without a tokenUrl', { clientId: 'district-client', clientSecret: CLIENT_SECRET }, /lacks a valid tokenUrl/],
    ['credentials the SIS refuses', { clientId: 'district-client', clientSecret: 'not-the-secret', tokenUrl: 'placeholder' }, /\/token refused the client credentials \(401\)/],
  ])('fails the run with a clear reason and changes nothing for %s', async (_, secret, reason) => {
    const { districtId, sis: server } = await restDistrict({ secret: secret === null ? null : { ...secret } });
    if (secret && 'tokenUrl' in secret) secrets.put(`school-roster/local/districts/${districtId}/oneroster`, { ...secret, tokenUrl: server.tokenUrl });

    const summary = await capturingLogs(() => runRosterSync({ districtId }));

    expect(summary).toMatchObject({ status: 'failed', sourceKind: 'oneroster-rest', reason: expect.stringMatching(reason) });
    expect(await snapshot()).toEqual({ users: [], schools: [], links: [] });
    expect(server.log.filter((line) => line.startsWith('GET'))).toEqual([]);
    expect(await bucketKeys()).toEqual([]);
    const { rows } = await withClient((c) => c.query(`SELECT status, summary->>'reason' AS reason FROM roster_sync_runs`));
    expect(rows).toEqual([{ status: 'failed', reason: summary.reason }]);
    for (const text of [await everyTableAsText(), logLines.join('')]) expect(text).not.toContain('not-the-secret');
  });

  it('pulls in-process when no puller function is configured (npm run sync, npm start), leaving no copy behind', async () => {
    const { districtId } = await restDistrict();
    const local = loadWith<typeof import('../../shared/roster/sync')>({ ROSTER_PULL_FUNCTION: undefined }, '../../shared/roster/sync');

    const summary = await local.runRosterSync({ districtId });

    expect(summary).toMatchObject({ status: 'succeeded', sourceKind: 'oneroster-rest', users: expect.objectContaining({ created: 5 }) });
    expect(lambda.log).toEqual([]);
    expect(await bucketKeys()).toEqual([]);
  });
});
