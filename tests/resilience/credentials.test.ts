import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import type { CredentialsProvider } from '../../shared/db/credentials';
import { loadConfig } from '../../shared/config';
import { loadContainer, type Container } from '../support/containers';
import { invoke } from '../support/events';

/**
 * The credentials providers against the real server: a login role whose password the test rotates.
 * Nothing here reaches AWS: the Secrets Manager client talks to a fake of its JSON API on loopback.
 */
const role = `roster_rotating_${process.env.JEST_WORKER_ID ?? '1'}`;
const dbUrl = new URL(process.env.DATABASE_URL!);
const containers: Container[] = [];

async function asAdmin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const setPassword = (password: string) => asAdmin(`ALTER ROLE ${role} PASSWORD '${password}'`);
const getUnknownUser = (c: Container) => invoke(c.list, { route: 'GET /users/{userId}', pathParameters: { userId: crypto.randomUUID() } });

/** The service's settings for a database named by parts, its password left to the provider. */
const byParts = {
  DATABASE_URL: undefined,
  DB_HOST: dbUrl.hostname,
  DB_PORT: dbUrl.port,
  DB_NAME: dbUrl.pathname.slice(1),
  DB_USER: role,
  DB_SSL: 'off',
  DB_POOL_MODE: 'per-invocation',
};

beforeAll(async () => {
  await asAdmin(`DROP ROLE IF EXISTS ${role}`);
  await asAdmin(`CREATE ROLE ${role} LOGIN PASSWORD 'first'`);
  await asAdmin(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}`);
});

afterEach(async () => {
  await Promise.all(containers.splice(0).map((c) => c.db.closeConnections()));
});

afterAll(() => asAdmin(`DROP OWNED BY ${role}; DROP ROLE ${role}`));

it('connects with the password from the beforeConnect provider, and fetches it again when the server refuses it', async () => {
  let current = 'first';
  let loads = 0;
  let cache: string | undefined;
  const provider: CredentialsProvider = {
    get: async () => {
      if (cache === undefined) {
        loads++;
        cache = current;
      }
      return { password: cache };
    },
    invalidate: () => {
      cache = undefined;
    },
  };
  const warm = loadContainer({ ...byParts, DB_AUTH: 'url' }, provider);
  containers.push(warm);
  expect((await getUnknownUser(warm)).status).toBe(404);

  // The secret rotates: the cached password is refused (28P01) and the provider is asked again.
  current = 'second';
  await setPassword('second');
  expect((await getUnknownUser(warm)).status).toBe(404);
  expect(loads).toBe(2);
});

it('reads the password from a Secrets Manager secret (a local fake of its API) and caches it', async () => {
  await setPassword('from-the-secret');
  const requests: Array<{ target?: string; body: unknown }> = [];
  const fake = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      requests.push({ target: req.headers['x-amz-target'] as string, body: JSON.parse(body) });
      res.setHeader('Content-Type', 'application/x-amz-json-1.1');
      res.end(JSON.stringify({ ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:roster-db', Name: 'roster-db', SecretString: JSON.stringify({ username: role, password: 'from-the-secret' }) }));
    });
  });
  await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
  // Placeholder keys for the client to sign requests to the fake with; nothing leaves loopback.
  const signing = { AWS_ACCESS_KEY_ID: 'AKIDLOCALFAKE', AWS_SECRET_ACCESS_KEY: 'local-fake-secret', AWS_EC2_METADATA_DISABLED: 'true' };
  Object.assign(process.env, signing);
  try {
    const warm = loadContainer({
      ...byParts,
      DB_USER: 'someone-else',
      DB_AUTH: 'secret',
      DB_SECRET_ID: 'roster-db',
      DB_SECRETS_ENDPOINT: `http://127.0.0.1:${(fake.address() as AddressInfo).port}`,
      AWS_REGION: 'eu-west-1',
    });
    containers.push(warm);

    expect((await getUnknownUser(warm)).status).toBe(404);
    expect((await getUnknownUser(warm)).status).toBe(404);
    expect(requests).toEqual([{ target: 'secretsmanager.GetSecretValue', body: { SecretId: 'roster-db' } }]);
  } finally {
    for (const name of Object.keys(signing)) delete process.env[name];
    fake.close();
  }
});

it('answers 503 when the secret cannot be read', async () => {
  const warm = loadContainer({ ...byParts, DB_AUTH: 'secret', DB_SECRET_ID: 'roster-db', DB_SECRETS_ENDPOINT: 'http://127.0.0.1:9', AWS_REGION: 'eu-west-1' });
  containers.push(warm);
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIDLOCALFAKE', AWS_SECRET_ACCESS_KEY: 'local-fake-secret' });
  try {
    const reply = await getUnknownUser(warm);
    expect(reply).toMatchObject({ status: 503, headers: { 'Content-Type': 'application/problem+json', 'Retry-After': '1' } });
  } finally {
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
  }
});

it('signs an RDS IAM token locally for the configured host and user, and reuses it', async () => {
  const env = { DB_HOST: 'roster.cluster-abc.eu-west-1.rds.amazonaws.com', DB_USER: 'roster_app', DB_AUTH: 'iam', AWS_REGION: 'eu-west-1' };
  const signing = { AWS_ACCESS_KEY_ID: 'AKIDLOCALFAKE', AWS_SECRET_ACCESS_KEY: 'local-fake-secret' };
  const databaseUrl = process.env.DATABASE_URL;
  Object.assign(process.env, { ...env, ...signing });
  delete process.env.DATABASE_URL;
  try {
    let provider: CredentialsProvider | undefined;
    jest.isolateModules(() => {
      provider = (require('../../shared/db/credentials') as typeof import('../../shared/db/credentials')).configuredCredentials();
    });
    const first = await provider!.get();
    expect(first.password).toMatch(
      /^roster\.cluster-abc\.eu-west-1\.rds\.amazonaws\.com:5432\/\?Action=connect&DBUser=roster_app&X-Amz-Algorithm=AWS4-HMAC-SHA256&.*X-Amz-Expires=900/,
    );
    expect(await provider!.get()).toBe(first);
  } finally {
    for (const name of Object.keys({ ...env, ...signing })) delete process.env[name];
    process.env.DATABASE_URL = databaseUrl;
  }
});

describe('configuration', () => {
  const base = { DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/roster' };

  it('refuses database timeouts that do not fit under the function timeout', () => {
    expect(() => loadConfig({ ...base, FUNCTION_TIMEOUT_MS: '6000', DB_ACQUIRE_TIMEOUT_MS: '3000', DB_STATEMENT_TIMEOUT_MS: '5000' })).toThrow(
      'Invalid configuration: DB_ACQUIRE_TIMEOUT_MS + DB_STATEMENT_TIMEOUT_MS must fit in FUNCTION_TIMEOUT_MS - 500 ms (5500 ms)',
    );
    expect(() => loadConfig({ ...base, DB_CONNECT_TIMEOUT_MS: '4000', DB_ACQUIRE_TIMEOUT_MS: '3000' })).toThrow(
      'DB_CONNECT_TIMEOUT_MS must not exceed DB_ACQUIRE_TIMEOUT_MS',
    );
  });

  it('requires what the chosen credentials provider needs', () => {
    expect(() => loadConfig({ ...base, DB_AUTH: 'secret', AWS_REGION: 'eu-west-1' })).toThrow('DB_AUTH=secret needs DB_SECRET_ID');
    expect(() => loadConfig({ ...base, DB_AUTH: 'iam', AWS_REGION: 'eu-west-1' })).toThrow('DB_AUTH=iam needs DB_HOST and DB_USER');
    expect(() => loadConfig({ DB_HOST: 'db.internal', DB_USER: 'roster' })).toThrow('DB_AUTH=iam needs AWS_REGION');
  });

  it('verifies TLS and signs an RDS IAM token by default when the database is not a local URL', () => {
    const deployed = loadConfig({ DB_HOST: 'db.internal', DB_USER: 'roster', AWS_REGION: 'eu-west-1' });
    expect(deployed.database).toMatchObject({ ssl: true, auth: 'iam', host: 'db.internal', user: 'roster', region: 'eu-west-1' });
    expect(loadConfig(base).database).toMatchObject({ ssl: false, auth: 'url' });
  });
});
