import { handler as createSchool } from '../../functions/create-school';
import { handler as createUser } from '../../functions/create-user';
import { closeConnections } from '../../shared/db/sequelize';
import { resetDatabase, withClient } from '../support/db';
import { FULL_ACCESS_CLAIMS, invoke } from '../support/events';
import { problem } from '../support/problems';

const postUser = (body: unknown, key?: string) =>
  invoke(createUser, { route: 'POST /users', body, headers: key === undefined ? {} : { 'Idempotency-Key': key } });
const postSchool = (body: unknown, key: string) => invoke(createSchool, { route: 'POST /schools', body, headers: { 'Idempotency-Key': key } });
const count = (table: string) => withClient(async (c) => Number((await c.query(`SELECT count(*) FROM ${table}`)).rows[0].count));

beforeEach(async () => {
  await resetDatabase();
  await withClient((c) => c.query('TRUNCATE idempotency_keys'));
});
afterAll(closeConnections);

describe('Idempotency-Key on POST /users and POST /schools', () => {
  it('replays the first response for a retry with the same key and body, and creates one user', async () => {
    const first = await postUser({ firstName: 'Ada', email: 'ada@example.org' }, 'order-1');
    const retry = await postUser({ email: 'ada@example.org', firstName: 'Ada' }, 'order-1');

    expect(first.status).toBe(201);
    expect(retry).toEqual({ ...first, headers: { ...first.headers, 'Idempotent-Replayed': 'true' } });
    expect(await count('users')).toBe(1);
  });

  it('replays a school creation the same way', async () => {
    const first = await postSchool({ name: 'Hilltop', code: 'HT' }, '"f5b0c2a4-key"');
    const retry = await postSchool({ name: 'Hilltop', code: 'HT' }, '"f5b0c2a4-key"');

    expect(first).toEqual({
      status: 201,
      headers: { 'Content-Type': 'application/json', Location: `/schools/${first.body.schoolId}`, ETag: expect.stringMatching(/^"[\d.]+"$/) },
      body: expect.objectContaining({ name: 'Hilltop', code: 'HT' }),
    });
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.ETag).toBe(first.headers.ETag);
    expect(await count('schools')).toBe(1);
  });

  it('creates exactly one user when retries with the same key arrive at once', async () => {
    const replies = await Promise.all(Array.from({ length: 6 }, () => postUser({ firstName: 'Grace' }, 'burst-1')));

    expect(replies.map((r) => r.status)).toEqual([201, 201, 201, 201, 201, 201]);
    expect(new Set(replies.map((r) => r.body.userId)).size).toBe(1);
    expect(await count('users')).toBe(1);
  });

  it('answers 422 when the key was used with another body, and creates nothing more', async () => {
    await postUser({ firstName: 'Ada' }, 'order-2');
    const reused = await postUser({ firstName: 'Grace' }, 'order-2');

    expect(reused).toEqual({
      status: 422,
      headers: { 'Content-Type': 'application/problem+json' },
      body: problem(422, 'Unprocessable Content', 'This Idempotency-Key was already used with another request body.'),
    });
    expect(await count('users')).toBe(1);
  });

  it('scopes keys by route: the same key on POST /schools is another request', async () => {
    expect((await postUser({ firstName: 'Ada' }, 'shared-key')).status).toBe(201);
    expect((await postSchool({ name: 'Hilltop' }, 'shared-key')).status).toBe(201);
  });

  it('scopes keys by caller: another token subject with the same key and body creates its own user', async () => {
    const asOther = () =>
      invoke(createUser, { route: 'POST /users', body: { firstName: 'Ada' }, headers: { 'Idempotency-Key': 'order-1' }, claims: { ...FULL_ACCESS_CLAIMS, sub: 'another-client' } });
    const mine = await postUser({ firstName: 'Ada' }, 'order-1');

    const theirs = await asOther();

    expect([mine.status, theirs.status]).toEqual([201, 201]);
    expect(theirs.body.userId).not.toBe(mine.body.userId);
    expect((await asOther()).body.userId).toBe(theirs.body.userId);
    expect((await postUser({ firstName: 'Ada' }, 'order-1')).body.userId).toBe(mine.body.userId);
    expect(await count('users')).toBe(2);
  });

  it('keeps the key free when the creation failed, so a corrected retry can use it', async () => {
    await postUser({ firstName: 'Ada', email: 'taken@example.org' });
    const conflict = await postUser({ firstName: 'Ada', email: 'taken@example.org' }, 'order-3');
    expect(conflict.status).toBe(409);
    expect(await count('idempotency_keys')).toBe(0);

    await withClient((c) => c.query('DELETE FROM users'));
    expect((await postUser({ firstName: 'Ada', email: 'taken@example.org' }, 'order-3')).status).toBe(201);
  });

  it('claims an expired key afresh', async () => {
    const first = await postUser({ firstName: 'Ada' }, 'old-key');
    await withClient((c) => c.query(`UPDATE idempotency_keys SET "expiresAt" = now() - interval '1 second'`));

    const again = await postUser({ firstName: 'Ada' }, 'old-key');
    expect(again.status).toBe(201);
    expect(again.body.userId).not.toBe(first.body.userId);
    expect(again.headers['Idempotent-Replayed']).toBeUndefined();
  });

  it('deletes ten expired keys with each newly claimed key, and keeps the live ones', async () => {
    await withClient((c) =>
      c.query(`INSERT INTO idempotency_keys ("scope", "key", "requestHash", "expiresAt")
               SELECT 'POST /users', 'expired-' || n, repeat('0', 64), now() - interval '1 hour' FROM generate_series(1, 25) n`),
    );
    const expired = () => withClient(async (c) => Number((await c.query(`SELECT count(*) FROM idempotency_keys WHERE "expiresAt" <= now()`)).rows[0].count));

    await postUser({ firstName: 'Ada' }, 'live-1');
    expect(await expired()).toBe(15);
    await postUser({ firstName: 'Grace' }, 'live-2');
    expect(await expired()).toBe(5);
    expect((await postUser({ firstName: 'Ada' }, 'live-1')).headers['Idempotent-Replayed']).toBe('true');
    expect(await expired()).toBe(5);
    await postUser({ firstName: 'Alan' }, 'live-3');

    expect(await expired()).toBe(0);
    expect(await count('idempotency_keys')).toBe(3);
  });

  it('answers 201 when the purge fails: the record and its key are already committed', async () => {
    await withClient((c) =>
      c.query(`INSERT INTO idempotency_keys ("scope", "key", "requestHash", "expiresAt") VALUES ('POST /users', 'expired', repeat('0', 64), now() - interval '1 hour');
               CREATE FUNCTION refuse_delete() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no deletes today'; END $$;
               CREATE TRIGGER refuse_delete BEFORE DELETE ON idempotency_keys FOR EACH ROW EXECUTE FUNCTION refuse_delete();`),
    );
    try {
      const first = await postUser({ firstName: 'Ada' }, 'order-9');
      expect(first.status).toBe(201);
      expect(await postUser({ firstName: 'Ada' }, 'order-9')).toEqual({ ...first, headers: { ...first.headers, 'Idempotent-Replayed': 'true' } });
    } finally {
      await withClient((c) => c.query('DROP TRIGGER refuse_delete ON idempotency_keys; DROP FUNCTION refuse_delete();'));
    }
  });

  it.each([
    ['empty', ''],
    ['over 255 characters', 'k'.repeat(256)],
    ['with a control character', 'bad\tkey'],
    ['with a space', 'two words'],
  ])('answers 400 for a key %s, and stores nothing', async (_, key) => {
    const reply = await postUser({ firstName: 'Ada' }, key);

    expect(reply).toEqual({
      status: 400,
      headers: { 'Content-Type': 'application/problem+json' },
      body: {
        ...problem(400, 'Bad Request', 'The Idempotency-Key header is not valid.'),
        errors: [{ path: 'Idempotency-Key', message: 'must be 1 to 255 visible ASCII characters' }],
      },
    });
    expect(await count('users')).toBe(0);
    expect(await count('idempotency_keys')).toBe(0);
  });

  it('validates the body before the key: an invalid body is a 400 and does not use the key up', async () => {
    const withGoodKey = await postUser({ firstName: '' }, 'order-4');
    // Both wrong: the answer is the body's 400, as if the key were fine (the key is never looked at).
    const withBadKey = await postUser({ firstName: '' }, 'bad\tkey');

    expect(withGoodKey.status).toBe(400);
    expect(withGoodKey.body.errors.map((e: { path: string }) => e.path)).toEqual(['firstName']);
    const { requestId: _one, ...goodKeyBody } = withGoodKey.body;
    const { requestId: _other, ...badKeyBody } = withBadKey.body;
    expect({ ...withBadKey, body: badKeyBody }).toEqual({ ...withGoodKey, body: goodKeyBody });
    expect(await count('idempotency_keys')).toBe(0);
    expect((await postUser({ firstName: 'Ada' }, 'order-4')).status).toBe(201);
  });
});
