import { handler as createUser } from '../../functions/create-user';
import { handler as list } from '../../functions/list';
import { closeConnections } from '../../shared/db/sequelize';
import { resetDatabase, withClient } from '../support/db';
import { invoke } from '../support/events';
import { badRequest, problem } from '../support/problems';

const post = (body: unknown, headers?: Record<string, string>) => invoke(createUser, { route: 'POST /users', body, headers });
const getUser = (userId: string) => invoke(list, { route: 'GET /users/{userId}', pathParameters: { userId } });
const userCount = () => withClient(async (c) => Number((await c.query('SELECT count(*) FROM users')).rows[0].count));

beforeEach(resetDatabase);
afterAll(closeConnections);

describe('POST /users', () => {
  it('creates a user and answers 201 with the user and its Location', async () => {
    const reply = await post({ firstName: '  Ada ', lastName: 'Lovelace', email: 'ada@example.org', userName: 'ada' });

    expect(reply.status).toBe(201);
    expect(reply.body).toEqual({
      userId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      firstName: 'Ada',
      lastName: 'Lovelace',
      email: 'ada@example.org',
      userName: 'ada',
      sourcedId: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(reply.headers.Location).toBe(`/users/${reply.body.userId}`);
    expect((await getUser(reply.body.userId)).body).toEqual(reply.body);
  });

  it('accepts only a first name, and null for the optional fields', async () => {
    const reply = await post({ firstName: 'Grace', lastName: null, email: null });

    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ firstName: 'Grace', lastName: null, email: null, userName: null });
  });

  it.each([
    ['a missing first name', { lastName: 'X' }, 'firstName'],
    ['a blank first name', { firstName: '   ' }, 'firstName'],
    ['a first name over 100 characters', { firstName: 'a'.repeat(101) }, 'firstName'],
    ['a number as first name', { firstName: 42 }, 'firstName'],
    ['an invalid email', { firstName: 'A', email: 'not-an-email' }, 'email'],
    ['an email over 255 characters', { firstName: 'A', email: `${'a'.repeat(250)}@example.org` }, 'email'],
    ['an unknown field', { firstName: 'A', admin: true }, 'admin'],
    ['a userName over 255 characters', { firstName: 'A', userName: 'u'.repeat(256) }, 'userName'],
  ])('answers 400 naming the field for %s, and stores nothing', async (_, body, path) => {
    const reply = await post(body);

    expect(reply.status).toBe(400);
    expect(reply.headers['Content-Type']).toBe('application/problem+json');
    expect(reply.body).toEqual(badRequest(path));
    expect(await userCount()).toBe(0);
  });

  it('answers 400 for a body that is not an object', async () => {
    for (const body of ['[]', '"text"', '42', 'null']) {
      const reply = await post(body);
      expect({ body, status: reply.status }).toEqual({ body, status: 400 });
    }
  });

  it('answers 400 for an absent body', async () => {
    const reply = await invoke(createUser, { route: 'POST /users' });
    expect(reply.status).toBe(400);
  });

  it('answers 400 naming the whole body (path "") for malformed JSON, and creates nothing', async () => {
    const reply = await post('{"firstName": "Ada",');

    expect(reply).toEqual({
      status: 400,
      headers: { 'Content-Type': 'application/problem+json' },
      body: { ...problem(400, 'Bad Request', 'The body is not valid JSON.'), errors: [{ path: '', message: 'is not valid JSON' }] },
    });
    expect(await userCount()).toBe(0);
  });

  it('answers 415 for a declared non-JSON content type', async () => {
    const reply = await post('firstName=Ada', { 'Content-Type': 'application/x-www-form-urlencoded' });

    expect(reply.status).toBe(415);
    expect(reply.headers['Content-Type']).toBe('application/problem+json');
  });

  it('answers 413 for a body over 64 KiB', async () => {
    const reply = await post({ firstName: 'A', lastName: 'x'.repeat(64 * 1024) });

    expect(reply.status).toBe(413);
    expect(await userCount()).toBe(0);
  });

  it('answers 409 when a live user has the same email in another case', async () => {
    await post({ firstName: 'Ada', email: 'ada@example.org' });
    const reply = await post({ firstName: 'Other', email: 'ADA@Example.org' });

    expect(reply.status).toBe(409);
    expect(reply.body).toMatchObject({ status: 409, title: 'Conflict', detail: 'A user with this email already exists.' });
    expect(await userCount()).toBe(1);
  });

  it('answers 409 when a live user has the same userName', async () => {
    await post({ firstName: 'Ada', userName: 'ada' });
    const reply = await post({ firstName: 'Other', userName: 'ada' });

    expect(reply.status).toBe(409);
    expect(reply.body.detail).toBe('A user with this userName already exists.');
  });

  it('lets a new user take the email of a soft-deleted one', async () => {
    const first = await post({ firstName: 'Ada', email: 'ada@example.org' });
    await withClient((c) => c.query(`UPDATE users SET "deletedAt" = now() WHERE "userId" = $1`, [first.body.userId]));

    const reply = await post({ firstName: 'Ada', email: 'ada@example.org' });

    expect(reply.status).toBe(201);
  });
});

describe('GET /users/{userId}', () => {
  it('answers 400 for an id that is not a UUID', async () => {
    const reply = await getUser('42');

    expect(reply.status).toBe(400);
    expect(reply.body.errors).toEqual([{ path: 'userId', message: 'must be a UUID' }]);
  });

  it('answers 404 for an unknown user', async () => {
    const reply = await getUser('6f1c1c4e-4a6e-4f57-9a55-0c1c8e0d2b11');

    expect(reply.status).toBe(404);
    expect(reply.body).toMatchObject({ type: 'about:blank', title: 'Not Found', status: 404 });
  });

  it('answers 404 for a soft-deleted user', async () => {
    const { body } = await post({ firstName: 'Ada' });
    await withClient((c) => c.query(`UPDATE users SET "deletedAt" = now() WHERE "userId" = $1`, [body.userId]));

    expect((await getUser(body.userId)).status).toBe(404);
  });
});

describe('POST /users with text PostgreSQL cannot store', () => {
  beforeEach(resetDatabase);

  it('answers 400 for a NUL character rather than altering the name', async () => {
    const reply = await post({ firstName: 'A\u0000b' });

    expect(reply.status).toBe(400);
    expect(reply.body.errors).toEqual([{ path: 'firstName', message: 'must not contain NUL characters' }]);
    expect(await userCount()).toBe(0);
  });
});
