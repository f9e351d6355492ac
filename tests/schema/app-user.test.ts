import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { Sequelize } from 'sequelize';
import { migrations } from '../../migrations';
import { provisionAppUser } from '../../shared/db/app-user';
import { withDatabase } from '../../scripts/database-url';
import { loadContainer, type Container } from '../support/containers';
import { recreateDatabase } from '../support/databases';
import { invoke, lambdaContext } from '../support/events';
import { roster11, smallDistrict11, writeRoster } from '../support/roster';

/**
 * Create mode's least privilege: the migrate function, connected as the administrator, provisions the
 * user the other functions run as from that user's secret (a local fake of Secrets Manager's API), and
 * the service then works as that user and can do nothing else.
 */
jest.setTimeout(60_000);

const worker = process.env.JEST_WORKER_ID;
const APP_USER = `roster_app_w${worker}`;
const database = `roster_app_user_${worker}`;
let adminUrl: string;
let appPassword = 'first-password-of-the-app';
const containers: Container[] = [];

const secrets = http.createServer((req, res) => {
  req.resume().on('end', () => {
    res.setHeader('Content-Type', 'application/x-amz-json-1.1');
    res.end(JSON.stringify({ Name: 'roster-app', SecretString: JSON.stringify({ username: APP_USER, password: appPassword }) }));
  });
});

function urlAs(user: string, password: string): string {
  const url = new URL(adminUrl);
  url.username = user;
  url.password = password;
  return url.toString();
}

async function asApp<T>(work: (client: pg.Client) => Promise<T>, password = appPassword): Promise<T> {
  const client = new pg.Client({ connectionString: urlAs(APP_USER, password) });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The migrate function in a container of its own, as deployed in create mode. */
async function runMigrate(): Promise<unknown> {
  const env: Record<string, string> = {
    DATABASE_URL: adminUrl,
    DB_APP_SECRET_ID: 'roster-app',
    DB_SECRETS_ENDPOINT: `http://127.0.0.1:${(secrets.address() as AddressInfo).port}`,
    AWS_REGION: 'eu-west-1',
    // Placeholder keys for the client to sign requests to the fake with; nothing leaves loopback.
    AWS_ACCESS_KEY_ID: 'AKIDLOCALFAKE',
    AWS_SECRET_ACCESS_KEY: 'local-fake-secret',
  };
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    let migrate!: (event: unknown, context: unknown) => Promise<unknown>;
    jest.isolateModules(() => {
      migrate = require('../../functions/migrate').handler;
      // Sequelize requires its dialect when the instance is created: inside the isolated registry.
      require('../../shared/db/sequelize').getSequelize();
    });
    return await migrate({}, lambdaContext('school-roster-test-migrate', 300_000));
  } finally {
    for (const name of Object.keys(env)) {
      if (name in saved) process.env[name] = saved[name];
      else delete process.env[name];
    }
  }
}

beforeAll(async () => {
  adminUrl = await recreateDatabase(process.env.TEST_SERVER_URL!, database);
  await new Promise<void>((resolve) => secrets.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await Promise.all(containers.map((c) => c.db.closeConnections()));
  secrets.close();
  const admin = new pg.Client({ connectionString: withDatabase(process.env.TEST_SERVER_URL!, 'postgres') });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  await admin.query(`DROP ROLE IF EXISTS "${APP_USER}"`);
  await admin.end();
});

describe('the app user of create mode', () => {
  it('is created by the migrate function after the migrations', async () => {
    expect(await runMigrate()).toEqual({ applied: migrations.map((m) => m.name), appUser: APP_USER });
    expect(await asApp(async (c) => (await c.query('SELECT current_user AS user')).rows[0].user)).toBe(APP_USER);
  });

  it('runs the service: creates, links, lists, replays a keyed create, and imports a roster', async () => {
    const app = loadContainer({ DATABASE_URL: urlAs(APP_USER, appPassword) });
    containers.push(app);
    const user = await invoke(app.createUser, { route: 'POST /users', body: { firstName: 'Ada' }, headers: { 'Idempotency-Key': 'k-1' } });
    const school = await invoke(app.createSchool, { route: 'POST /schools', body: { name: 'Hill Valley High' } });
    const ids = { userId: user.body.userId, schoolId: school.body.schoolId };
    let link!: (event: unknown, context: unknown) => Promise<unknown>;
    let runRosterSync!: typeof import('../../shared/roster/sync').runRosterSync;
    let closeSync!: () => Promise<void>;
    process.env.DATABASE_URL = urlAs(APP_USER, appPassword);
    const workerUrl = process.env.DATABASE_URL;
    jest.isolateModules(() => {
      link = require('../../functions/link').handler;
      runRosterSync = require('../../shared/roster/sync').runRosterSync;
      closeSync = require('../../shared/db/sequelize').closeConnections;
      require('../../shared/db/sequelize').getSequelize();
    });
    process.env.DATABASE_URL = workerUrl;
    try {
      expect([user.status, school.status]).toEqual([201, 201]);
      expect((await invoke(link, { route: 'PUT /schools/{schoolId}/users/{userId}', pathParameters: ids })).status).toBe(201);
      const members = await invoke(app.list, { route: 'GET /schools/{schoolId}/users', pathParameters: { schoolId: ids.schoolId } });
      expect(members.body.items.map((m: { userId: string }) => m.userId)).toEqual([ids.userId]);
      const replay = await invoke(app.createUser, { route: 'POST /users', body: { firstName: 'Ada' }, headers: { 'Idempotency-Key': 'k-1' } });
      expect(replay.headers['Idempotent-Replayed']).toBe('true');

      const { orgs, users } = smallDistrict11();
      const summary = await runRosterSync({ source: writeRoster(roster11(orgs, users)) });
      expect(summary).toMatchObject({ status: 'succeeded', users: { created: users.length } });
    } finally {
      await closeSync();
    }
  });

  it('may not change the schema, drop a table or touch the migrations record', async () => {
    await asApp(async (c) => {
      await expect(c.query('CREATE TABLE notes (id int)')).rejects.toThrow(/permission denied for schema public/);
      await expect(c.query('DROP TABLE users')).rejects.toThrow(/must be owner of table users/);
      await expect(c.query('ALTER TABLE users ADD COLUMN nickname text')).rejects.toThrow(/must be owner of table users/);
      await expect(c.query('DELETE FROM "SequelizeMeta"')).rejects.toThrow(/permission denied for table SequelizeMeta/);
      await expect(c.query('CREATE ROLE intruder')).rejects.toThrow(/permission denied to create role/);
    });
  });

  it('never sends the password itself: only its SCRAM verifier', async () => {
    const statements: string[] = [];
    const sequelize = new Sequelize(adminUrl, { dialect: 'postgres', dialectModule: pg, logQueryParameters: true, logging: (sql: string) => statements.push(sql) });
    try {
      await provisionAppUser(sequelize, APP_USER, appPassword);
    } finally {
      await sequelize.close();
    }

    expect(statements.find((sql) => sql.includes(': ALTER ROLE'))).toMatch(/PASSWORD 'SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+'/);
    expect(statements.filter((sql) => sql.includes(appPassword))).toEqual([]);
    expect(await asApp(async (c) => (await c.query('SELECT 1 AS one')).rows[0].one)).toBe(1);
  });

  it('gets the new password when the secret rotates and migrate runs again', async () => {
    const old = appPassword;
    appPassword = 'second-password-of-the-app';

    expect(await runMigrate()).toEqual({ applied: [], appUser: APP_USER });
    expect(await asApp(async (c) => (await c.query('SELECT 1 AS one')).rows[0].one)).toBe(1);
    await expect(asApp(async () => undefined, old)).rejects.toThrow(/password authentication failed/);
  });
});
