import { ONEROSTER_CORE_SCOPE } from '../../shared/http/routes';
import { resetDatabase } from '../support/db';
import { startOffline, type OfflineServer } from '../../scripts/offline-server';
import { oneRosterAjv, oneRosterValidator } from '../support/oneroster-schemas';

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
    // The link moved the user's updatedAt to its own transaction's (docs/decisions/0021).
    expect(members.body).toEqual({ items: [{ ...user.body, updatedAt: linked.body.createdAt, membership: { role: 'guestLecturer', since: linked.body.createdAt } }], nextCursor: null });
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

  it('corrects a user with a merge patch and If-Match, and refuses a stale ETag with 412', async () => {
    const created = await request('POST', '/users', JSON.stringify({ firstName: 'Edsger', lastName: 'Dijkstre', email: 'ewd@example.org' }));
    const etag = created.headers.get('etag')!;

    const patched = await request('PATCH', `/users/${created.body.userId}`, JSON.stringify({ lastName: 'Dijkstra', email: null }), {
      'content-type': 'application/merge-patch+json',
      'if-match': etag,
    });
    const stale = await request('PATCH', `/users/${created.body.userId}`, JSON.stringify({ lastName: 'X' }), { 'if-match': etag });

    expect(patched).toMatchObject({ status: 200, body: { ...created.body, lastName: 'Dijkstra', email: null, updatedAt: expect.any(String) } });
    expect(patched.headers.get('etag')).not.toBe(etag);
    expect(stale).toMatchObject({ status: 412, body: { status: 412, title: 'Precondition Failed' } });
    const read = await request('GET', `/users/${created.body.userId}`);
    expect({ body: read.body, etag: read.headers.get('etag') }).toEqual({ body: patched.body, etag: patched.headers.get('etag') });
  });

  it('removes a user with their memberships, then answers 404', async () => {
    const user = await request('POST', '/users', JSON.stringify({ firstName: 'Barbara', lastName: 'Liskov' }));
    const school = await request('POST', '/schools', JSON.stringify({ name: 'Removal School' }));
    await request('PUT', `/schools/${school.body.schoolId}/users/${user.body.userId}`);

    expect((await request('DELETE', `/users/${user.body.userId}`)).status).toBe(204);
    expect((await request('GET', `/users/${user.body.userId}`)).status).toBe(404);
    expect((await request('GET', `/schools/${school.body.schoolId}/users`)).body.items).toEqual([]);
    expect((await request('DELETE', `/users/${user.body.userId}`)).status).toBe(404);
  });

  it('erases a user only with the roster/erase scope', async () => {
    const user = await request('POST', '/users', JSON.stringify({ firstName: 'Frances', lastName: 'Allen' }));
    const path = `/users/${user.body.userId}?erase=true`;

    const refused = await request('DELETE', path);
    const erased = await request('DELETE', path, undefined, { authorization: `Bearer ${await server.token(['roster/erase'])}` });
    const again = await request('DELETE', path, undefined, { authorization: `Bearer ${await server.token(['roster/erase'])}` });

    expect([refused.status, erased.status, again.status]).toEqual([403, 204, 404]);
    expect(refused.body.detail).toBe('This request requires the scope roster/erase.');
  });
});

describe('the OneRoster endpoints through serverless-offline', () => {
  const ajv = oneRosterAjv();

  it('serves a OneRoster client the users with absolute links to where it called, paged, and the 1EdTech payload for a bad filter', async () => {
    const oneRoster = { authorization: `Bearer ${await server.token([ONEROSTER_CORE_SCOPE])}` };
    const school = await request('POST', '/schools', JSON.stringify({ name: 'Twin Pines', code: 'TP-1' }));
    for (const firstName of ['Marty', 'Jennifer']) {
      const user = await request('POST', '/users', JSON.stringify({ firstName, lastName: 'McFly' }));
      await request('PUT', `/schools/${school.body.schoolId}/users/${user.body.userId}`, JSON.stringify({ role: 'student' }));
    }
    const base = `${server.baseUrl}/ims/oneroster/rostering/v1p2`;

    const page = await request('GET', `/ims/oneroster/rostering/v1p2/students?limit=1&filter=${encodeURIComponent("familyName='McFly'")}`, undefined, oneRoster);
    expect(page.status).toBe(200);
    expect(oneRosterValidator(ajv, 'UserSetDType')(page.body)).toBe(true);
    expect(page.body.users).toHaveLength(1);
    expect(page.body.users[0].roles).toEqual([{ roleType: 'primary', role: 'student', org: { href: `${base}/orgs/${school.body.schoolId}`, sourcedId: school.body.schoolId, type: 'org' } }]);
    expect(page.headers.get('x-total-count')).toBe('2');
    const at = (offset: number) => `${base}/students?${new URLSearchParams({ limit: '1', filter: "familyName='McFly'", offset: String(offset) })}`;
    expect(page.headers.get('link')).toBe(`<${at(0)}>; rel="first", <${at(1)}>; rel="next", <${at(1)}>; rel="last"`);

    const school1 = await request('GET', `/ims/oneroster/rostering/v1p2/schools/${school.body.schoolId}`, undefined, oneRoster);
    expect(school1.body).toEqual({ org: { sourcedId: school.body.schoolId, status: 'active', dateLastModified: expect.any(String), name: 'Twin Pines', type: 'school', identifier: 'TP-1' } });

    const refused = await request('GET', `/ims/oneroster/rostering/v1p2/users?filter=${encodeURIComponent("password='x'")}`, undefined, oneRoster);
    expect(refused.status).toBe(400);
    expect(refused.body.imsx_CodeMinor.imsx_codeMinorField[0].imsx_codeMinorFieldValue).toBe('invalid_filter_field');
    expect(oneRosterValidator(ajv, 'imsx_StatusInfoDType')(refused.body)).toBe(true);
    // A token of the service's own scopes is not a OneRoster token.
    expect((await request('GET', '/ims/oneroster/rostering/v1p2/users')).status).toBe(403);
  });
});
