import { loadConfig as configFrom } from '../../shared/config';
import { resetDatabase, withClient } from '../support/db';
import { invoke, type Invocable } from '../support/events';
import { capturingOutput } from '../support/output';

const PERSON = { firstName: 'Augusta', lastName: 'Byron-King', email: 'augusta.king@example.org', userName: 'ada1815' };
const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhZGEifQ.c2lnbmF0dXJlLW5vdC1yZWFs';
const SECRETS = [...Object.values(PERSON), TOKEN];

/** Everything the service writes to stdout and stderr while `work` runs. */
async function captureLogs(work: () => Promise<unknown>): Promise<string> {
  const chunks: string[] = [];
  await capturingOutput(chunks, work);
  return chunks.join('');
}

const entries = (text: string) => text.split('\n').filter(Boolean).map((line) => JSON.parse(line));

// The logger reads its level once, when it loads (tests/support/worker-env.ts silences it elsewhere).
let createUser: Invocable;
let list: Invocable;
let closeConnections: () => Promise<void>;
beforeAll(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
  ({ handler: createUser } = require('../../functions/create-user'));
  ({ handler: list } = require('../../functions/list'));
  ({ closeConnections } = require('../../shared/db/sequelize'));
});
beforeEach(resetDatabase);
afterAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  await closeConnections();
});

describe('logs', () => {
  it('record a create-user as one JSON line with the request ids, and no email, name or token', async () => {
    let status = 0;
    const text = await captureLogs(async () => {
      ({ status } = await invoke(createUser, { route: 'POST /users', body: PERSON, headers: { Authorization: `Bearer ${TOKEN}` } }));
    });

    expect(status).toBe(201);
    expect(entries(text)).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'request handled',
        service: 'school-roster',
        function_request_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        apiRequestId: expect.any(String),
        routeKey: 'POST /users',
        statusCode: 201,
        durationMs: expect.any(Number),
      }),
    ]);
    for (const secret of SECRETS) expect(text).not.toContain(secret);
  });

  it('record a failed create-user without the email or name that the database error quotes', async () => {
    // A database error whose message quotes the row's values, as many do.
    await withClient((c) =>
      c.query(`
        CREATE FUNCTION refuse_user() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'refused % % <%>', NEW."firstName", NEW."lastName", NEW."email"; END $$;
        CREATE TRIGGER refuse_user BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION refuse_user();`),
    );
    try {
      let reply: Awaited<ReturnType<typeof invoke>> | undefined;
      const text = await captureLogs(async () => {
        reply = await invoke(createUser, { route: 'POST /users', body: PERSON, headers: { Authorization: `Bearer ${TOKEN}` } });
      });

      expect(reply?.status).toBe(500);
      expect(reply?.body).toEqual({
        type: 'about:blank',
        title: 'Internal Server Error',
        status: 500,
        detail: 'An unexpected error occurred.',
        requestId: expect.any(String),
      });
      expect(entries(text)).toEqual([
        expect.objectContaining({
          level: 'ERROR',
          message: 'request failed',
          routeKey: 'POST /users',
          error: expect.objectContaining({ name: 'SequelizeDatabaseError', code: 'P0001', sqlState: 'P0001' }),
        }),
        expect.objectContaining({ level: 'INFO', message: 'request handled', statusCode: 500 }),
      ]);
      for (const secret of SECRETS) expect(text).not.toContain(secret);
    } finally {
      await withClient((c) => c.query('DROP TRIGGER refuse_user ON users; DROP FUNCTION refuse_user();'));
    }
  });

  it('record a read by its route template, never the path or query string that carry an email', async () => {
    const text = await captureLogs(() =>
      invoke(list, { route: 'GET /users/{userId}', pathParameters: { userId: PERSON.email }, query: { email: PERSON.email, q: PERSON.lastName } }),
    );

    expect(entries(text)).toEqual([expect.objectContaining({ routeKey: 'GET /users/{userId}', statusCode: 400 })]);
    for (const secret of SECRETS) expect(text).not.toContain(secret);
  });
});

describe('error lines', () => {
  const duplicate = { firstName: PERSON.firstName, lastName: PERSON.lastName, email: PERSON.email };
  let logger: typeof import('../../shared/logger').logger;
  let getModels: typeof import('../../shared/db/sequelize').getModels;
  beforeAll(() => {
    ({ logger } = require('../../shared/logger'));
    ({ getModels } = require('../../shared/db/sequelize'));
  });

  it('carry a Sequelize error\'s name, SQLSTATE, constraint, table and stack, and no value of the row', async () => {
    const { User } = getModels();
    await User.create(duplicate);
    const error = await User.create({ ...duplicate, email: PERSON.email.toUpperCase() }).then(
      () => new Error('the duplicate was created'),
      (e: Error) => e,
    );
    // The database error quotes the email; the log line must not.
    expect(JSON.stringify({ ...error, message: error.message })).toContain(PERSON.email.toUpperCase());

    const text = await captureLogs(async () => logger.error('roster sync failed', error));

    expect(entries(text)).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        message: 'roster sync failed',
        error: {
          name: 'SequelizeUniqueConstraintError',
          code: '23505',
          sqlState: '23505',
          severity: 'ERROR',
          schema: 'public',
          table: 'users',
          constraint: 'users_email_live_key',
          routine: expect.any(String),
          stack: expect.arrayContaining([expect.stringMatching(/^at .*sequelize/)]),
        },
      }),
    ]);
    for (const secret of [...SECRETS, PERSON.email.toUpperCase()]) expect(text).not.toContain(secret);
  });

  it('carry a pg error\'s SQLSTATE and names (the sync\'s own connection), never its detail', async () => {
    const error = await withClient(async (c) => {
      await c.query(`INSERT INTO users ("userId", "firstName", "email", "createdAt", "updatedAt") VALUES (gen_random_uuid(), $1, $2, now(), now())`, [PERSON.firstName, PERSON.email]);
      return c.query(`INSERT INTO users ("userId", "firstName", "email", "createdAt", "updatedAt") VALUES (gen_random_uuid(), $1, $2, now(), now())`, [PERSON.firstName, PERSON.email]).catch((e: unknown) => e as Error);
    });
    expect(error).toMatchObject({ detail: expect.stringContaining(PERSON.email) });

    const text = await captureLogs(async () => logger.error('roster sync failed', { error }));

    expect(entries(text)).toEqual([
      expect.objectContaining({
        error: expect.objectContaining({ name: 'error', code: '23505', sqlState: '23505', table: 'users', constraint: 'users_email_live_key', stack: expect.any(Array) }),
      }),
    ]);
    expect(entries(text)[0].error).not.toHaveProperty('detail');
    expect(entries(text)[0].error).not.toHaveProperty('message');
    for (const secret of SECRETS) expect(text).not.toContain(secret);
  });

  it('carry another error\'s message with emails scrubbed, and its cause', async () => {
    const error = new Error(`Query read timeout`, { cause: Object.assign(new Error(`no route for ${PERSON.email}`), { code: 'EHOSTUNREACH' }) });

    const text = await captureLogs(async () => logger.error('roster sync failed', error));

    expect(entries(text)[0].error).toEqual({
      name: 'Error',
      message: 'Query read timeout',
      stack: expect.arrayContaining([expect.stringMatching(/^at /)]),
      cause: { name: 'Error', code: 'EHOSTUNREACH', message: 'no route for [redacted]', stack: expect.any(Array) },
    });
    expect(text).not.toContain(PERSON.email);
  });
});

describe('configuration', () => {
  const loadConfig = (env: Record<string, string>) =>
    jest.isolateModules(() => {
      const saved = { ...process.env };
      Object.assign(process.env, env);
      try {
        require('../../shared/config');
      } finally {
        for (const key of Object.keys(env)) {
          if (key in saved) process.env[key] = saved[key];
          else delete process.env[key];
        }
      }
    });
  const inLambda = { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x' };

  it('refuses SQL logging (bound values) in a deployed function', () => {
    expect(() => loadConfig({ ...inLambda, LOG_SQL: 'true' })).toThrow(/LOG_SQL .* local debugging only/);
  });

  it('refuses the development token key in a deployed function', () => {
    expect(() => loadConfig({ ...inLambda, AUTH_LOCAL_PUBLIC_JWK: '{"kty":"EC"}' })).toThrow(/AUTH_LOCAL_PUBLIC_JWK is for the local API only/);
  });

  it('allows both under serverless-offline and in local scripts', () => {
    const offline = configFrom({ ...process.env, ...inLambda, IS_OFFLINE: 'true', LOG_SQL: 'true', AUTH_LOCAL_PUBLIC_JWK: '{}' });
    const script = configFrom({ ...process.env, LOG_SQL: 'true' });

    expect({ logSql: offline.database.logSql, localPublicJwk: offline.auth.localPublicJwk }).toEqual({ logSql: true, localPublicJwk: '{}' });
    expect(script.database.logSql).toBe(true);
  });
});
