import { resetDatabase } from '../support/db';
import { startOffline, type OfflineServer } from '../support/offline';

let server: OfflineServer;
let authorization: string;

beforeAll(async () => {
  await resetDatabase();
  server = await startOffline();
  authorization = `Bearer ${await server.token(['roster/read', 'roster/write'])}`;
}, 90_000);

afterAll(() => server?.stop());

async function request(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: { authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

describe('the HTTP API through serverless-offline', () => {
  it('creates a user and reads it back over HTTP', async () => {
    const created = await request('POST', '/users', JSON.stringify({ firstName: 'Ada', email: 'ada@example.org' }));

    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`/users/${created.body.userId}`);
    const read = await request('GET', `/users/${created.body.userId}`);
    expect(read).toMatchObject({ status: 200, body: created.body });
  });

  it('creates a school and reads it back over HTTP', async () => {
    const created = await request('POST', '/schools', JSON.stringify({ name: 'Hill Valley High', code: 'HVH' }));

    expect(created.status).toBe(201);
    expect((await request('GET', `/schools/${created.body.schoolId}`)).body).toEqual(created.body);
  });

  it('answers problem+json for malformed JSON, a non-JSON body and a bad id', async () => {
    const malformed = await request('POST', '/users', '{"firstName":');
    const form = await request('POST', '/users', 'firstName=Ada', { 'content-type': 'text/plain' });
    const badId = await request('GET', '/users/not-a-uuid');

    expect([malformed.status, form.status, badId.status]).toEqual([400, 415, 400]);
    for (const reply of [malformed, form, badId]) {
      expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(reply.body).toMatchObject({ type: 'about:blank', status: reply.status });
    }
  });

  it('links a user to a school and lists the membership both ways', async () => {
    const user = await request('POST', '/users', JSON.stringify({ firstName: 'Grace', lastName: 'Hopper' }));
    const school = await request('POST', '/schools', JSON.stringify({ name: 'Annex' }));
    const path = `/schools/${school.body.schoolId}/users/${user.body.userId}`;

    const linked = await request('PUT', path, JSON.stringify({ role: 'guestLecturer' }));
    const again = await request('PUT', path);
    const members = await request('GET', `/schools/${school.body.schoolId}/users`);
    const schools = await request('GET', `/users/${user.body.userId}/schools`);

    expect([linked.status, again.status]).toEqual([201, 200]);
    expect(members.body).toEqual({ items: [{ ...user.body, membership: { role: 'guestLecturer', since: linked.body.createdAt } }], nextCursor: null });
    expect(schools.body.items.map((s: { schoolId: string }) => s.schoolId)).toEqual([school.body.schoolId]);
    expect((await request('DELETE', path)).status).toBe(204);
    expect((await request('GET', `/schools/${school.body.schoolId}/users`)).body.items).toEqual([]);
  });

  it('refuses a request without a token, and a read-only token on a write', async () => {
    const anonymous = await request('GET', '/users', undefined, { authorization: '' });
    const readOnly = await request('POST', '/schools', JSON.stringify({ name: 'X' }), {
      authorization: `Bearer ${await server.token(['roster/read'])}`,
    });

    expect([anonymous.status, readOnly.status]).toEqual([401, 403]);
  });

  it('answers 409 for a duplicate school code', async () => {
    await request('POST', '/schools', JSON.stringify({ name: 'A', code: 'DUP' }));
    const duplicate = await request('POST', '/schools', JSON.stringify({ name: 'B', code: 'DUP' }));

    expect(duplicate.status).toBe(409);
  });
});
