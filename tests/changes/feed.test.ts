import pg from 'pg';
import { handler as changes } from '../../functions/changes';
import { handler as createUser } from '../../functions/create-user';
import { handler as link } from '../../functions/link';
import { sealChanges } from '../../shared/changes/seal';
import { getSequelize } from '../../shared/db/sequelize';
import { runRosterSync } from '../../shared/roster/sync';
import { changesPage, resetChanges, typesOf, walkChanges } from '../support/changes';
import { resetDatabase, withClient } from '../support/db';
import { FULL_ACCESS_CLAIMS, invoke } from '../support/events';
import { apiSchool, apiUser } from '../support/fixtures';
import { problem } from '../support/problems';
import { roster11, writeRoster, type Org, type User11 } from '../support/roster';

const put = (schoolId: string, userId: string, body?: unknown) =>
  invoke(link, { route: 'PUT /schools/{schoolId}/users/{userId}', pathParameters: { schoolId, userId }, body });
const unlink = (schoolId: string, userId: string) => invoke(link, { route: 'DELETE /schools/{schoolId}/users/{userId}', pathParameters: { schoolId, userId } });
const API_ACTOR = { kind: 'api', id: `${FULL_ACCESS_CLAIMS.iss} ${FULL_ACCESS_CLAIMS.sub}` };
const ISO = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

beforeEach(async () => {
  await resetDatabase();
  await withClient((c) => c.query('TRUNCATE roster_sync_runs, idempotency_keys'));
  await resetChanges();
});
afterAll(() => getSequelize().close());

describe('GET /changes: the API paths', () => {
  it('gives every API change once, oldest first, each with its actor, entity and the record as the API answered it', async () => {
    const user = await apiUser({ firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.org' });
    const school = await apiSchool({ name: 'Analytical Academy', code: 'AA-1' });
    const created = (await put(school.schoolId, user.userId, { role: 'aide' })).body;
    const unchanged = await put(school.schoolId, user.userId, { role: 'aide' });
    const updated = (await put(school.schoolId, user.userId, { role: 'principal' })).body;
    expect((await unlink(school.schoolId, user.userId)).status).toBe(204);
    expect(unchanged.status).toBe(200);

    const { events } = await walkChanges();

    const membership = { kind: 'membership', id: expect.any(String), userId: user.userId, schoolId: school.schoolId };
    expect(events).toEqual([
      { id: expect.any(String), type: 'user.created', occurredAt: ISO, actor: API_ACTOR, entity: { kind: 'user', id: user.userId }, data: user },
      { id: expect.any(String), type: 'school.created', occurredAt: ISO, actor: API_ACTOR, entity: { kind: 'school', id: school.schoolId }, data: school },
      { id: expect.any(String), type: 'membership.created', occurredAt: ISO, actor: API_ACTOR, entity: membership, data: created },
      { id: expect.any(String), type: 'membership.updated', occurredAt: ISO, actor: API_ACTOR, entity: membership, data: updated },
      { id: expect.any(String), type: 'membership.deleted', occurredAt: ISO, actor: API_ACTOR, entity: membership, data: null },
    ]);
    expect(new Set(events.slice(2).map((event) => event.entity.id)).size).toBe(1);
    const times = events.map((event) => event.occurredAt);
    expect([...times].sort()).toEqual(times);
  });

  it('writes no event for a request that changes nothing: a failed create, a missing record, a replayed Idempotency-Key', async () => {
    await apiUser({ firstName: 'Ada', email: 'ada@example.org' });
    const { cursor } = await walkChanges();

    expect((await invoke(createUser, { route: 'POST /users', body: { firstName: 'Other', email: 'ADA@example.org' } })).status).toBe(409);
    expect((await put('00000000-0000-4000-8000-000000000000', '00000000-0000-4000-8000-000000000001')).status).toBe(404);
    const keyed = { route: 'POST /users', body: { firstName: 'Keyed' }, headers: { 'Idempotency-Key': 'k-1' } };
    const first = await invoke(createUser, keyed);
    const replay = await invoke(createUser, keyed);
    expect(replay.headers['Idempotent-Replayed']).toBe('true');

    expect(typesOf((await walkChanges(cursor)).events)).toEqual([`user.created ${first.body.userId}`]);
  });

  it('pages with limit and resumes from nextCursor, which stays put on an empty page', async () => {
    for (let i = 0; i < 5; i++) await apiSchool({ name: `School ${i}` });

    const first = await changesPage({ limit: '2' });
    const second = await changesPage({ limit: '2', after: first.nextCursor });
    const third = await changesPage({ limit: '2', after: second.nextCursor });
    const empty = await changesPage({ limit: '2', after: third.nextCursor });
    const all = await changesPage({ limit: '1000' });

    expect([first, second, third].map((page) => page.items.length)).toEqual([2, 2, 1]);
    expect([...first.items, ...second.items, ...third.items]).toEqual(all.items);
    expect(empty).toEqual({ items: [], nextCursor: third.nextCursor });
    await apiSchool({ name: 'Late School' });
    expect((await changesPage({ after: empty.nextCursor })).items.map((event) => event.data.name)).toEqual(['Late School']);
  });

  it('answers an empty feed with a cursor, and 400 for a bad limit or a cursor it did not issue', async () => {
    const empty = await changesPage();
    expect(empty).toEqual({ items: [], nextCursor: expect.any(String) });
    await apiSchool({ name: 'First' });
    expect((await changesPage({ after: empty.nextCursor })).items).toHaveLength(1);

    const queries: Record<string, string>[] = [{ limit: '0' }, { limit: '1001' }, { limit: 'ten' }, { after: 'nope' }, { after: Buffer.from('1.x').toString('base64url') }, { since: '1' }];
    for (const query of queries) {
      const reply = await invoke(changes, { route: 'GET /changes', query });
      expect({ query, status: reply.status, type: reply.headers['Content-Type'] }).toEqual({ query, status: 400, type: 'application/problem+json' });
      expect(reply.body.errors).toHaveLength(1);
    }
  });

  it('answers 410 problem+json for a cursor older than what retention removed', async () => {
    await apiSchool({ name: 'Old' });
    const old = await changesPage({ limit: '1' });
    await apiSchool({ name: 'Kept' });
    const start = await changesPage();
    // As retention leaves it: the first event gone, the watermark at it.
    await withClient((c) =>
      c.query(`WITH gone AS (DELETE FROM change_commits WHERE position = (SELECT min(position) FROM change_commits) RETURNING txid, position),
                    events AS (DELETE FROM change_events e USING gone WHERE e.txid = gone.txid RETURNING gone.position, e.id)
               UPDATE change_feed_state SET "prunedPosition" = (SELECT position FROM events), "prunedEventId" = (SELECT id FROM events)`),
    );
    const stale = await invoke(changes, { route: 'GET /changes', query: { after: Buffer.from('0.0').toString('base64url') } });

    expect(stale.status).toBe(410);
    expect(stale.body).toEqual(problem(410, 'Gone', expect.stringContaining('walk the lists again')));
    expect((await changesPage({ after: old.nextCursor })).items.map((event) => event.data.name)).toEqual(['Kept']);
    expect((await changesPage()).items).toEqual(start.items.slice(1));
  });
});

describe('GET /changes: the roster sync', () => {
  const orgs: Org[] = [{ sourcedId: 'sch-1', name: 'North', identifier: 'N1' }, { sourcedId: 'sch-2', name: 'South' }];
  const users: User11[] = Array.from({ length: 12 }, (_, i) => ({ sourcedId: `u-${i}`, givenName: `Given${i}`, email: `u${i}@district.example`, orgs: ['sch-1'], role: 'student' }));
  const idsOf = (table: 'users' | 'schools') =>
    withClient(async (c) => Object.fromEntries((await c.query(`SELECT "sourcedId", "${table === 'users' ? 'userId' : 'schoolId'}" AS id FROM ${table}`)).rows.map((r) => [r.sourcedId, r.id])));

  it('gives each record and link a run creates, updates, deletes and restores, once, with the run as actor, and nothing for a re-run', async () => {
    const first = await runRosterSync({ source: writeRoster(roster11(orgs, users)) });
    const created = await walkChanges();
    const rerun = await runRosterSync({ source: writeRoster(roster11(orgs, users)) });
    const afterRerun = await walkChanges(created.cursor);
    const changedUsers = users.slice(1).map((u, i) => (i === 0 ? { ...u, givenName: 'Renamed', orgs: ['sch-2'] } : u));
    const second = await runRosterSync({ source: writeRoster(roster11(orgs, changedUsers)) });
    const changed = await walkChanges(created.cursor);
    await runRosterSync({ source: writeRoster(roster11(orgs, users)) });
    const restored = await walkChanges(changed.cursor);

    const userIds = await idsOf('users');
    const schoolIds = await idsOf('schools');
    expect(first.status).toBe('succeeded');
    expect(rerun.status).toBe('succeeded');
    expect(afterRerun.events).toEqual([]);
    expect(created.events.every((event) => event.actor.kind === 'roster' && event.actor.id === first.runId)).toBe(true);
    expect(typesOf(created.events).sort()).toEqual(
      [
        ...orgs.map((o) => `school.created ${schoolIds[o.sourcedId]}`),
        ...users.map((u) => `user.created ${userIds[u.sourcedId]}`),
        ...users.map(() => expect.stringMatching(/^membership\.created /)),
      ].sort(),
    );
    expect(created.events.find((event) => event.entity.id === userIds['u-3']).data).toEqual({
      userId: userIds['u-3'], firstName: 'Given3', lastName: null, email: 'u3@district.example', userName: null, sourcedId: 'u-3', createdAt: ISO, updatedAt: ISO,
    });
    expect(second.status).toBe('succeeded');
    const membershipOf = (event: any) => `${event.type} ${event.entity.userId === userIds['u-0'] ? 'u-0' : 'u-1'} ${event.entity.schoolId === schoolIds['sch-1'] ? 'sch-1' : 'sch-2'}`;
    expect(changed.events.map((event) => (event.entity.kind === 'membership' ? membershipOf(event) : `${event.type} ${event.entity.id}`)).sort()).toEqual(
      [`user.deleted ${userIds['u-0']}`, 'membership.deleted u-0 sch-1', `user.updated ${userIds['u-1']}`, 'membership.created u-1 sch-2', 'membership.deleted u-1 sch-1'].sort(),
    );
    expect(changed.events.find((event) => event.type === 'user.updated').data.firstName).toBe('Renamed');
    // One statement restores u-0 and renames u-1 back: the order of its rows is the statement's.
    expect(typesOf(restored.events).filter((t) => t.startsWith('user.')).sort()).toEqual([`user.created ${userIds['u-0']}`, `user.updated ${userIds['u-1']}`].sort());
  });

  it('orders an API change that committed while a sync was running before the sync change to the same link (commit order, not start order)', async () => {
    await runRosterSync({ source: writeRoster(roster11(orgs, users)) });
    const { cursor } = await walkChanges();
    const [userId, schoolId, southId] = await withClient(async (c) => [
      (await c.query(`SELECT "userId" FROM users WHERE "sourcedId" = 'u-0'`)).rows[0].userId,
      (await c.query(`SELECT "schoolId" FROM schools WHERE "sourcedId" = 'sch-1'`)).rows[0].schoolId,
      (await c.query(`SELECT "schoolId" FROM schools WHERE "sourcedId" = 'sch-2'`)).rows[0].schoolId,
    ]);
    // A session holds the school the sync renames first: the sync starts (its transaction id taken) and waits there.
    const holder = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`SELECT 1 FROM schools WHERE "schoolId" = $1 FOR UPDATE`, [southId]);
      const renamed = orgs.map((o) => (o.sourcedId === 'sch-2' ? { ...o, name: 'South Renamed' } : o));
      const sync = runRosterSync({ source: writeRoster(roster11(renamed, users)) });
      await waitUntil(async () => (await holder.query(`SELECT count(*)::int AS n FROM pg_locks WHERE NOT granted AND locktype = 'transactionid' AND pg_backend_pid() = ANY (pg_blocking_pids(pid))`)).rows[0].n > 0);
      const syncXid = (await holder.query(`SELECT backend_xid::text AS xid FROM pg_stat_activity WHERE pg_backend_pid() = ANY (pg_blocking_pids(pid)) AND backend_xid IS NOT NULL`)).rows[0]?.xid;

      // Meanwhile the API changes the roster's link, and commits first.
      expect((await put(schoolId, userId, { role: 'aide' })).status).toBe(200);
      const apiXid = (await holder.query(`SELECT max(txid)::text AS xid FROM change_events`)).rows[0].xid;
      await holder.query('COMMIT');
      expect((await sync).status).toBe('succeeded');

      const events = (await walkChanges(cursor)).events.filter((event) => event.entity.kind === 'membership');
      // The sync took its transaction id first: an order by transaction id would put its event first.
      expect(BigInt(syncXid)).toBeLessThan(BigInt(apiXid));
      expect(events.map((event) => [event.type, event.actor.kind, event.data.role])).toEqual([
        ['membership.updated', 'api', 'aide'],
        ['membership.updated', 'roster', 'student'],
      ]);
      const final = await withClient(async (c) => (await c.query(`SELECT role FROM user_schools WHERE "userUserId" = $1 AND "schoolSchoolId" = $2`, [userId, schoolId])).rows[0].role);
      expect(events.at(-1).data.role).toBe(final);
    } finally {
      await holder.end();
    }
  });
});

describe('GET /changes: the guarantee', () => {
  it('never skips the event of a transaction that took its id before a later one committed and read', async () => {
    const open = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await open.connect();
    try {
      // A writer takes its event id and transaction id first, then stays open across a read of the feed.
      await open.query('BEGIN');
      const slow = (await open.query(`INSERT INTO schools (name) VALUES ('Slow School') RETURNING "schoolId"`)).rows[0].schoolId;
      await open.query(
        `INSERT INTO change_events ("type", "actorKind", "entityKind", "entityId", "data") VALUES ('school.created', 'api', 'school', $1, '{}')`,
        [slow],
      );
      const fast = await apiSchool({ name: 'Fast School' });
      const read = await walkChanges();
      expect(typesOf(read.events)).toEqual([`school.created ${fast.schoolId}`]);

      await sealChanges(open);
      await open.query('COMMIT');
      const next = await walkChanges(read.cursor);

      expect(typesOf(next.events)).toEqual([`school.created ${slow}`]);
      const [slowEvent] = next.events;
      expect(BigInt(slowEvent.id)).toBeLessThan(BigInt(read.events[0].id));
    } finally {
      await open.end();
    }
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error('timed out waiting');
}
