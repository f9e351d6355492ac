import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import { counts, resetRoster, roster11, smallDistrict11, snapshot, writeZip } from '../support/roster';

/** A real S3-compatible server on a free loopback port, as the sync's S3 client reaches it through S3_ENDPOINT. */
let server: S3rver;
let upload: S3Client;
let runRosterSync: typeof import('../../shared/roster/sync').runRosterSync;
let closeDatabase: () => Promise<void>;

beforeAll(async () => {
  // Port 0: the OS picks a free one as the server binds, so no other process can take it meanwhile.
  server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: mkdtempSync(path.join(os.tmpdir(), 's3rver-')),
    configureBuckets: [{ name: 'district-exports', configs: [] }],
  });
  const { port } = await server.run();
  Object.assign(process.env, {
    S3_ENDPOINT: `http://127.0.0.1:${port}`,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'eu-west-1',
  });
  // Loaded only now: the service's config reads S3_ENDPOINT when it loads.
  ({ runRosterSync } = require('../../shared/roster/sync') as typeof import('../../shared/roster/sync'));
  const { getSequelize } = require('../../shared/db/sequelize') as typeof import('../../shared/db/sequelize');
  closeDatabase = () => getSequelize().close();
  // s3rver predates the SDK's default request checksums (aws-chunked uploads).
  upload = new S3Client({
    endpoint: process.env.S3_ENDPOINT,
    forcePathStyle: true,
    region: 'eu-west-1',
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
});

afterAll(async () => {
  upload?.destroy();
  await closeDatabase?.();
  await server?.close();
});

beforeEach(resetRoster);

async function put(key: string, body: string | Buffer) {
  await upload.send(new PutObjectCommand({ Bucket: 'district-exports', Key: key, Body: body }));
}

describe('an S3 source', () => {
  it('reads a roster folder under s3://bucket/prefix/', async () => {
    const { orgs, users } = smallDistrict11();
    for (const [name, text] of Object.entries(roster11(orgs, users))) await put(`2026-11-27/${name}`, text);
    await put('2026-11-27/nested/users.csv', 'not,this,one\n');
    await put('2026-11-26/users.csv', 'nor,this\n');

    const summary = await runRosterSync({ source: 's3://district-exports/2026-11-27' });

    expect(summary).toMatchObject({
      status: 'succeeded',
      source: 's3://district-exports/2026-11-27',
      users: { ...counts(4), adopted: 0 },
      schools: counts(2),
      memberships: counts(5),
      errorCount: 0,
    });
    expect((await snapshot()).users).toHaveLength(4);
  });

  it('reads a zip at s3://bucket/key.zip by ranged reads', async () => {
    const { orgs, users } = smallDistrict11();
    await put('exports/roster.zip', readFileSync(await writeZip(roster11(orgs, users))));

    const summary = await runRosterSync({ source: 's3://district-exports/exports/roster.zip' });

    expect(summary).toMatchObject({ status: 'succeeded', users: { created: 4 }, schools: { created: 2 }, memberships: { created: 5 } });
  });

  it('fails clearly, changing nothing, when the prefix holds no manifest', async () => {
    const summary = await runRosterSync({ source: 's3://district-exports/empty/' });

    expect(summary).toMatchObject({ status: 'failed', reason: 'manifest.csv is missing from s3://district-exports/empty/' });
  });

  it('fails clearly when the zip does not exist', async () => {
    const summary = await runRosterSync({ source: 's3://district-exports/missing.zip' });

    expect(summary).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^Cannot read s3:\/\/district-exports\/missing\.zip: /) });
  });
});
