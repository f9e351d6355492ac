import { randomUUID } from 'node:crypto';
import { handler as districts } from '../../functions/districts';
import { closeConnections } from '../../shared/db/sequelize';
import { runRosterSync } from '../../shared/roster/sync';
import { resetDatabase, withClient } from '../support/db';
import { invoke, type HttpEventInput } from '../support/events';
import { badRequest, problem } from '../support/problems';
import { roster11, writeRoster } from '../support/roster';

const call = (route: string, input: Omit<HttpEventInput, 'route'> = {}) => invoke(districts, { route, ...input });
const post = (body: unknown) => call('POST /districts', { body });
const get = (districtId: string) => call('GET /districts/{districtId}', { pathParameters: { districtId } });
const patch = (districtId: string, body: unknown, headers?: Record<string, string>) =>
  call('PATCH /districts/{districtId}', { pathParameters: { districtId }, body, headers });
const remove = (districtId: string) => call('DELETE /districts/{districtId}', { pathParameters: { districtId } });
const runs = (districtId: string, query: Record<string, string> = {}) => call('GET /districts/{districtId}/syncs', { pathParameters: { districtId }, query });
const districtCount = () => withClient(async (c) => Number((await c.query('SELECT count(*) FROM districts')).rows[0].count));

/** A one-school roster of `people` users, as a district's SIS exports it. */
const roster = (people: number) =>
  writeRoster(
    roster11(
      [{ sourcedId: 'sch-1', name: 'Lakeside Middle' }],
      Array.from({ length: people }, (_, i) => ({ sourcedId: `u-${i}`, givenName: `P${i}`, familyName: 'Lake', email: `p${i}@lake.example`, orgs: ['sch-1'], role: 'student' })),
    ),
  );

beforeEach(resetDatabase);
afterAll(closeConnections);

describe('POST /districts', () => {
  it('creates a district and answers 201 with it and its Location; a rate schedule falls due at once', async () => {
    const before = Date.now();
    const reply = await post({ name: ' Eastside Unified ', rosterSource: 's3://eastside-exports/oneroster/', syncSchedule: 'rate(1 day)', maxDeleteRatio: 0.2 });

    expect(reply).toEqual({
      status: 201,
      headers: { 'Content-Type': 'application/json', Location: `/districts/${reply.body.districtId}` },
      body: {
        districtId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name: 'Eastside Unified',
        rosterSource: 's3://eastside-exports/oneroster/',
        syncSchedule: 'rate(1 day)',
        maxDeleteRatio: 0.2,
        enabled: true,
        nextSyncAt: expect.any(String),
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      },
    });
    expect(Date.parse(reply.body.nextSyncAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(reply.body.nextSyncAt)).toBeLessThanOrEqual(Date.now());
    expect((await get(reply.body.districtId)).body).toEqual(reply.body);
  });

  it('schedules a cron district at its next time in UTC, and leaves an unscheduled or disabled one without a time', async () => {
    const cron = await post({ name: 'Nightly', rosterSource: 'https://sis.example.org/ims/oneroster/v1p1', syncSchedule: 'cron(30 2 * * ? *)' });
    const next = new Date(cron.body.nextSyncAt);
    expect([next.getUTCHours(), next.getUTCMinutes(), next.getUTCSeconds()]).toEqual([2, 30, 0]);
    expect(next.getTime() - Date.now()).toBeGreaterThan(0);
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(86_400_000);

    expect((await post({ name: 'By hand', rosterSource: 's3://b-1/x/' })).body).toMatchObject({ syncSchedule: null, nextSyncAt: null, maxDeleteRatio: null });
    expect((await post({ name: 'Off', rosterSource: 's3://b-1/x/', syncSchedule: 'rate(1 hour)', enabled: false })).body).toMatchObject({ enabled: false, nextSyncAt: null });
    expect((await post({ name: 'No source', syncSchedule: 'rate(1 hour)' })).body).toMatchObject({ nextSyncAt: null });
  });

  it.each([
    ['a missing name', { rosterSource: 's3://b-1/x/' }, 'name'],
    ['a blank name', { name: ' ' }, 'name'],
    ['a schedule EventBridge refuses (plural unit for 1)', { name: 'A', syncSchedule: 'rate(1 days)' }, 'syncSchedule'],
    ['a five-field cron', { name: 'A', syncSchedule: 'cron(0 3 * * ?)' }, 'syncSchedule'],
    ['a cron with both days set', { name: 'A', syncSchedule: 'cron(0 3 * * MON *)' }, 'syncSchedule'],
    ['a cron minute out of range', { name: 'A', syncSchedule: 'cron(61 3 * * ? *)' }, 'syncSchedule'],
    ['a cron with W (not followed here)', { name: 'A', syncSchedule: 'cron(0 3 15W * ? *)' }, 'syncSchedule'],
    ['a Unix crontab', { name: 'A', syncSchedule: '0 3 * * *' }, 'syncSchedule'],
    ['a file path as the source', { name: 'A', rosterSource: '/etc/passwd' }, 'rosterSource'],
    ['an ftp source', { name: 'A', rosterSource: 'ftp://sis.example.org/export.zip' }, 'rosterSource'],
    ['an https URL that is no OneRoster base URL', { name: 'A', rosterSource: 'https://sis.example.org/export.zip' }, 'rosterSource'],
    ['a OneRoster URL of one collection, not the base', { name: 'A', rosterSource: 'https://sis.example.org/ims/oneroster/rostering/v1p2/users' }, 'rosterSource'],
    ['a OneRoster 1.0 base URL', { name: 'A', rosterSource: 'https://sis.example.org/ims/oneroster/v1p0' }, 'rosterSource'],
    ['a OneRoster base URL with a query', { name: 'A', rosterSource: 'https://sis.example.org/ims/oneroster/v1p1?tenant=7' }, 'rosterSource'],
    ['a OneRoster base URL with credentials in it', { name: 'A', rosterSource: 'https://id:secret@sis.example.org/ims/oneroster/v1p1' }, 'rosterSource'],
    ['a delete ratio above 1', { name: 'A', maxDeleteRatio: 1.5 }, 'maxDeleteRatio'],
    ['a delete ratio as text', { name: 'A', maxDeleteRatio: '0.1' }, 'maxDeleteRatio'],
    ['enabled as null', { name: 'A', enabled: null }, 'enabled'],
    ['an unknown field', { name: 'A', nextSyncAt: '2030-01-01T00:00:00Z' }, 'nextSyncAt'],
  ])('answers 400 naming the field for %s, and stores nothing', async (_, body, path) => {
    const reply = await post(body);

    expect(reply).toEqual({ status: 400, headers: { 'Content-Type': 'application/problem+json' }, body: badRequest(path) });
    expect(await districtCount()).toBe(0);
  });

  it('when deployed, refuses a OneRoster source on a loopback, private or metadata address, or over plain http', async () => {
    const previous = process.env.AWS_EXECUTION_ENV;
    const webhookKey = process.env.WEBHOOK_KEY;
    process.env.AWS_EXECUTION_ENV = 'AWS_Lambda_nodejs24.x';
    // Deployed, the webhook key comes from Secrets Manager: a local WEBHOOK_KEY is refused there.
    delete process.env.WEBHOOK_KEY;
    try {
      await jest.isolateModulesAsync(async () => {
        const { handler: deployed } = require('../../functions/districts') as { handler: typeof districts };
        // Well-formed OneRoster base URLs: the address, not the shape, is what is refused.
        const hosts = ['127.0.0.1', '10.0.0.7', '169.254.169.254/latest', '[::1]', '[fd00:ec2::254]', 'localhost'];
        for (const rosterSource of [...hosts.map((host) => `https://${host}/ims/oneroster/v1p1`), 'http://93.184.216.34/ims/oneroster/v1p1']) {
          const reply = await invoke(deployed, { route: 'POST /districts', body: { name: 'A', rosterSource } });
          expect({ rosterSource, reply }).toEqual({ rosterSource, reply: { status: 400, headers: { 'Content-Type': 'application/problem+json' }, body: badRequest('rosterSource') } });
        }
        const publicHost = await invoke(deployed, { route: 'POST /districts', body: { name: 'A', rosterSource: 'https://93.184.216.34/ims/oneroster/rostering/v1p2' } });
        expect(publicHost.status).toBe(201);
        const isolated = require('../../shared/db/sequelize') as { closeConnections: typeof closeConnections };
        await isolated.closeConnections();
      });
    } finally {
      if (previous === undefined) delete process.env.AWS_EXECUTION_ENV;
      else process.env.AWS_EXECUTION_ENV = previous;
      if (webhookKey !== undefined) process.env.WEBHOOK_KEY = webhookKey;
    }
    expect(await districtCount()).toBe(1);
  });
});

describe('GET /districts', () => {
  it('pages through every district by name, then id', async () => {
    for (const name of ['Delta', 'Alpha', 'Charlie', 'Bravo', 'Alpha']) await post({ name });

    const first = await call('GET /districts', { query: { limit: '2' } });
    const second = await call('GET /districts', { query: { limit: '2', cursor: first.body.nextCursor } });
    const third = await call('GET /districts', { query: { limit: '2', cursor: second.body.nextCursor } });

    expect([first, second, third].map((page) => page.body.items.map((d: { name: string }) => d.name))).toEqual([['Alpha', 'Alpha'], ['Bravo', 'Charlie'], ['Delta']]);
    expect(third.body.nextCursor).toBeNull();
    const alphas = first.body.items.map((d: { districtId: string }) => d.districtId);
    expect(alphas).toEqual([...alphas].sort());
  });

  it('answers 400 for a cursor of another list', async () => {
    const reply = await call('GET /districts', { query: { cursor: Buffer.from(JSON.stringify({ name: 'x', schoolId: randomUUID() })).toString('base64url') } });
    expect(reply.body).toEqual(badRequest('cursor'));
  });
});

describe('GET /districts/{districtId}', () => {
  it('answers 404 for a district that does not exist, and 400 for an id that is no UUID', async () => {
    const id = randomUUID();
    expect(await get(id)).toEqual({ status: 404, headers: { 'Content-Type': 'application/problem+json' }, body: problem(404, 'Not Found', `No district ${id}.`) });
    expect((await get('12345')).body).toEqual(badRequest('districtId'));
  });
});

describe('PATCH /districts/{districtId}', () => {
  it('applies a merge patch: null clears an optional field, absent fields stay, and the schedule time follows', async () => {
    const created = (await post({ name: 'Westside', rosterSource: 's3://b-1/x/', syncSchedule: 'rate(1 day)', maxDeleteRatio: 0.3 })).body;

    const cleared = await patch(created.districtId, { syncSchedule: null, maxDeleteRatio: null }, { 'content-type': 'application/merge-patch+json' });
    expect(cleared).toEqual({
      status: 200,
      headers: { 'Content-Type': 'application/json' },
      body: { ...created, syncSchedule: null, maxDeleteRatio: null, nextSyncAt: null, updatedAt: expect.any(String) },
    });
    expect(Date.parse(cleared.body.updatedAt)).toBeGreaterThan(Date.parse(created.updatedAt));

    const weekly = await patch(created.districtId, { syncSchedule: 'cron(0 4 ? * SUN *)', name: 'Westside Unified' });
    expect(weekly.body).toMatchObject({ name: 'Westside Unified', syncSchedule: 'cron(0 4 ? * SUN *)', rosterSource: 's3://b-1/x/' });
    expect(new Date(weekly.body.nextSyncAt).getUTCDay()).toBe(0);
    expect((await get(created.districtId)).body).toEqual(weekly.body);
  });

  it('answers 200 with the district as it was, updatedAt unmoved, for {} or a patch that changes nothing', async () => {
    const created = (await post({ name: 'Westside', syncSchedule: 'rate(2 hours)' })).body;

    expect((await patch(created.districtId, {})).body).toEqual(created);
    expect((await patch(created.districtId, { name: 'Westside', rosterSource: null })).body).toEqual(created);
  });

  it.each([
    ['name set to null', { name: null }, 'name'],
    ['enabled set to null', { enabled: null }, 'enabled'],
    ['a bad schedule', { syncSchedule: 'rate(5 seconds)' }, 'syncSchedule'],
    ['a source that is no OneRoster base URL', { rosterSource: 'https://sis.example.org/oneroster' }, 'rosterSource'],
    ['an unknown field', { districtId: randomUUID() }, 'districtId'],
  ])('answers 400 naming the field for %s, and changes nothing', async (_, body, path) => {
    const created = (await post({ name: 'Westside' })).body;

    expect((await patch(created.districtId, body)).body).toEqual(badRequest(path));
    expect((await get(created.districtId)).body).toEqual(created);
  });

  it('takes a OneRoster 1.1 or 1.2 REST base URL as the source, with or without a path before /ims', async () => {
    const created = (await post({ name: 'Westside', rosterSource: 's3://b-1/x/' })).body;

    for (const rosterSource of ['https://sis.example.org/ims/oneroster/rostering/v1p2', 'https://sis.example.org/district/7/ims/oneroster/v1p1/']) {
      const reply = await patch(created.districtId, { rosterSource });
      expect({ status: reply.status, rosterSource: reply.body.rosterSource }).toEqual({ status: 200, rosterSource });
    }
  });

  it('answers 404 for a district that does not exist', async () => {
    expect((await patch(randomUUID(), { name: 'X' })).status).toBe(404);
  });
});

describe('DELETE /districts/{districtId}', () => {
  it('deletes a district that holds nothing, with its runs; then 404', async () => {
    const { districtId } = (await post({ name: 'Empty' })).body;
    await withClient((c) => c.query(`INSERT INTO roster_sync_runs ("districtId", status) VALUES ($1, 'refused')`, [districtId]));

    expect(await remove(districtId)).toEqual({ status: 204, headers: {}, body: undefined });
    expect((await get(districtId)).status).toBe(404);
    expect((await remove(districtId)).status).toBe(404);
    expect(await withClient(async (c) => (await c.query('SELECT count(*)::int AS n FROM roster_sync_runs')).rows[0].n)).toBe(0);
  });

  it('answers 409 naming what a synced district still holds, and keeps everything; after its roster lets everyone go, deletes it', async () => {
    const { districtId } = (await post({ name: 'Lakeside' })).body;
    expect(await runRosterSync({ districtId, source: roster(3) })).toMatchObject({ status: 'succeeded' });

    const refused = await remove(districtId);
    expect(refused).toEqual({
      status: 409,
      headers: { 'Content-Type': 'application/problem+json' },
      body: problem(409, 'Conflict', `District ${districtId} still holds 1 live schools, 3 live users, 3 live memberships: sync it with an empty bulk roster (force) or remove them first.`),
    });
    expect((await get(districtId)).status).toBe(200);

    const empty = writeRoster(roster11([], []));
    expect(await runRosterSync({ districtId, source: empty, force: true })).toMatchObject({ status: 'succeeded', users: { deleted: 3 } });
    expect((await remove(districtId)).status).toBe(204);
    // Its soft-deleted school stays, without a district, until housekeeping erases it.
    expect(await withClient(async (c) => (await c.query(`SELECT "districtId", "deletedAt" IS NOT NULL AS deleted FROM schools`)).rows)).toEqual([{ districtId: null, deleted: true }]);
  });
});

describe('GET /districts/{districtId}/syncs and /syncs/{runId}', () => {
  it("lists a district's runs newest first, paged, and not another district's; one run carries its summary", async () => {
    const lake = (await post({ name: 'Lakeside' })).body.districtId;
    const hill = (await post({ name: 'Hillside' })).body.districtId;
    const runIds: string[] = [];
    for (const people of [2, 3, 3]) runIds.push(String((await runRosterSync({ districtId: lake, source: roster(people) })).runId));
    await runRosterSync({ districtId: hill, source: roster(1) });

    const first = await runs(lake, { limit: '2' });
    const second = await runs(lake, { limit: '2', cursor: first.body.nextCursor });
    const items = [...first.body.items, ...second.body.items];

    expect(second.body.nextCursor).toBeNull();
    expect(items.map((run: { runId: string }) => run.runId)).toEqual([...runIds].reverse());
    expect(items[0]).toEqual({
      runId: runIds[2],
      districtId: lake,
      status: 'succeeded',
      source: expect.any(String),
      force: false,
      startedAt: expect.any(String),
      finishedAt: expect.any(String),
    });

    const one = await call('GET /districts/{districtId}/syncs/{runId}', { pathParameters: { districtId: lake, runId: runIds[1] } });
    expect(one.status).toBe(200);
    expect(one.body).toEqual({ ...items[1], summary: expect.objectContaining({ status: 'succeeded', users: expect.objectContaining({ created: 1, unchanged: 2 }) }) });

    const elsewhere = await call('GET /districts/{districtId}/syncs/{runId}', { pathParameters: { districtId: hill, runId: runIds[1] } });
    expect(elsewhere.body).toEqual(problem(404, 'Not Found', `District ${hill} has no sync run ${runIds[1]}.`));
    expect((await runs(randomUUID())).status).toBe(404);
  });
});
