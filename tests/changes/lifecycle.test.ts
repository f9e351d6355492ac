import { handler as change } from '../../functions/change';
import { handler as link } from '../../functions/link';
import { EVENT_TYPES } from '../../shared/changes/events';
import { getSequelize } from '../../shared/db/sequelize';
import { runHousekeeping } from '../../shared/services/housekeeping';
import { resetChanges, typesOf, walkChanges } from '../support/changes';
import { resetDatabase, withClient } from '../support/db';
import { FULL_ACCESS_CLAIMS, invoke } from '../support/events';
import { apiSchool, apiUser } from '../support/fixtures';

const API_ACTOR = { kind: 'api', id: `${FULL_ACCESS_CLAIMS.iss} ${FULL_ACCESS_CLAIMS.sub}` };
const HOUSEKEEPING_ACTOR = { kind: 'housekeeping', id: null };
const ERASER = { ...FULL_ACCESS_CLAIMS, scope: 'roster/erase' };

const patch = (kind: 'users' | 'schools', id: string, body: unknown, headers: Record<string, string> = {}) =>
  invoke(change, { route: `PATCH /${kind}/{${kind === 'users' ? 'userId' : 'schoolId'}}`, pathParameters: kind === 'users' ? { userId: id } : { schoolId: id }, body, headers });
const remove = (kind: 'users' | 'schools', id: string, erase = false) =>
  invoke(change, {
    route: `DELETE /${kind}/{${kind === 'users' ? 'userId' : 'schoolId'}}`,
    pathParameters: kind === 'users' ? { userId: id } : { schoolId: id },
    ...(erase ? { query: { erase: 'true' }, claims: ERASER } : {}),
  });
const put = (schoolId: string, userId: string, body?: unknown) =>
  invoke(link, { route: 'PUT /schools/{schoolId}/users/{userId}', pathParameters: { schoolId, userId }, body });

/** The events after `cursor`, each with the commit position it came in (from the feed's own table). */
async function eventsWithCommits(cursor?: string) {
  const { events } = await walkChanges(cursor);
  const txids = await withClient(
    async (c) => (await c.query(`SELECT "id"::text AS id, "txid"::text AS txid FROM change_events WHERE "id" = ANY($1::bigint[])`, [events.map((e) => e.id)])).rows,
  );
  const txidOf = new Map(txids.map((row) => [row.id, row.txid]));
  return events.map((event) => ({ ...event, txid: txidOf.get(event.id) }));
}

beforeEach(async () => {
  await resetDatabase();
  await withClient((c) => c.query('TRUNCATE roster_sync_runs, idempotency_keys'));
  await resetChanges();
});
afterAll(() => getSequelize().close());

describe('GET /changes: the lifecycle paths (PATCH, DELETE, erasure, housekeeping)', () => {
  it('gives a PATCH its *.updated event with the record as the PATCH answered it; none for a no-op or a failed patch', async () => {
    const user = await apiUser({ firstName: 'Ada', lastName: 'Lovelace' });
    const school = await apiSchool({ name: 'Analytical Academy', code: 'AA-1' });
    const { cursor } = await walkChanges();

    const patchedUser = await patch('users', user.userId, { lastName: 'King' });
    const patchedSchool = await patch('schools', school.schoolId, { code: null });
    expect([patchedUser.status, patchedSchool.status]).toEqual([200, 200]);
    expect((await patch('users', user.userId, { lastName: 'King' })).status).toBe(200); // changes nothing
    expect((await patch('users', user.userId, { firstName: 'Augusta' }, { 'If-Match': '"0.0"' })).status).toBe(412);

    const { events } = await walkChanges(cursor);
    expect(events).toEqual([
      { id: expect.any(String), type: 'user.updated', occurredAt: expect.any(String), actor: API_ACTOR, entity: { kind: 'user', id: user.userId }, data: patchedUser.body },
      {
        id: expect.any(String),
        type: 'school.updated',
        occurredAt: expect.any(String),
        actor: API_ACTOR,
        entity: { kind: 'school', id: school.schoolId },
        data: patchedSchool.body,
      },
    ]);
    expect(patchedSchool.body.code).toBeNull();
  });

  it('gives a DELETE a membership.deleted for each membership it removed, then the *.deleted event, in one commit', async () => {
    const user = await apiUser({ firstName: 'Ada' });
    const [north, south] = [await apiSchool({ name: 'North' }), await apiSchool({ name: 'South' })];
    const other = await apiUser({ firstName: 'Other' });
    for (const school of [north, south]) expect((await put(school.schoolId, user.userId)).status).toBe(201);
    expect((await put(north.schoolId, other.userId)).status).toBe(201);
    const { cursor } = await walkChanges();

    expect((await remove('users', user.userId)).status).toBe(204);
    const userEvents = await eventsWithCommits(cursor);
    expect((await remove('schools', north.schoolId)).status).toBe(204);
    const schoolEvents = (await eventsWithCommits(cursor)).slice(userEvents.length);

    const membership = (userId: string, schoolId: string) => ({ kind: 'membership', id: expect.any(String), userId, schoolId });
    const deleted = (entity: unknown, type: string) => ({ id: expect.any(String), type, occurredAt: expect.any(String), actor: API_ACTOR, entity, data: null, txid: expect.any(String) });
    expect(userEvents.slice(0, 2)).toEqual(
      expect.arrayContaining([deleted(membership(user.userId, north.schoolId), 'membership.deleted'), deleted(membership(user.userId, south.schoolId), 'membership.deleted')]),
    );
    expect(userEvents[2]).toEqual(deleted({ kind: 'user', id: user.userId }, 'user.deleted'));
    expect(userEvents).toHaveLength(3);
    expect(schoolEvents).toEqual([deleted(membership(other.userId, north.schoolId), 'membership.deleted'), deleted({ kind: 'school', id: north.schoolId }, 'school.deleted')]);
    expect(new Set(userEvents.map((event) => event.txid)).size).toBe(1);
    expect(new Set(schoolEvents.map((event) => event.txid)).size).toBe(1);
    // A failed DELETE (already gone) writes nothing.
    expect((await remove('users', user.userId)).status).toBe(404);
    expect((await walkChanges(cursor)).events).toHaveLength(5);
  });

  it('gives an erasure membership.deleted for the links it removed and the *.erased event, and leaves earlier events only their type and ids', async () => {
    const user = await apiUser({ firstName: 'Zebulon', email: 'zeb@erasure.example' });
    const school = await apiSchool({ name: 'Quarry Bank' });
    expect((await put(school.schoolId, user.userId, { role: 'aide' })).status).toBe(201);
    expect((await patch('users', user.userId, { lastName: 'Quagmire' })).status).toBe(200);
    const { cursor } = await walkChanges();

    expect((await remove('users', user.userId, true)).status).toBe(204);
    expect((await remove('schools', school.schoolId, true)).status).toBe(204);

    const { events } = await walkChanges();
    expect(events.map((event) => [`${event.type} ${event.entity.id}`, event.data])).toEqual([
      [`user.created ${user.userId}`, null],
      [`school.created ${school.schoolId}`, null],
      [`membership.created ${events[2].entity.id}`, null],
      [`user.updated ${user.userId}`, null],
      [`membership.deleted ${events[2].entity.id}`, null],
      [`user.erased ${user.userId}`, null],
      [`school.erased ${school.schoolId}`, null],
    ]);
    expect(events.slice(4).map((event) => event.actor)).toEqual([API_ACTOR, API_ACTOR, API_ACTOR]);
    expect(typesOf((await walkChanges(cursor)).events)).toEqual([`membership.deleted ${events[2].entity.id}`, `user.erased ${user.userId}`, `school.erased ${school.schoolId}`]);
    // No event's data holds the person any more.
    const held = await withClient(async (c) => (await c.query(`SELECT count(*)::int AS n FROM change_events WHERE "data"::text ILIKE ANY($1)`, [['%Zebulon%', `%${user.userId}%`]])).rows[0].n);
    expect(held).toBe(0);
  });

  it('erases soft-deleted records past retention as housekeeping, with its actor and scrubbed earlier events, and prunes events past CHANGES_RETENTION_DAYS', async () => {
    const gone = await apiUser({ firstName: 'Gone' });
    const kept = await apiUser({ firstName: 'Kept' });
    const school = await apiSchool({ name: 'Old School' });
    expect((await remove('users', gone.userId)).status).toBe(204);
    expect((await remove('schools', school.schoolId)).status).toBe(204);
    // A membership a soft-deleted user still has (written beside the API): its removal has its event too.
    const [{ schoolId: live }] = (await withClient((c) => c.query(`INSERT INTO schools ("name") VALUES ('Live') RETURNING "schoolId"`))).rows;
    await withClient((c) => c.query(`INSERT INTO user_schools ("userUserId", "schoolSchoolId") VALUES ($1, $2)`, [gone.userId, live]));
    await withClient(async (c) => {
      await c.query(`UPDATE users SET "deletedAt" = now() - interval '31 days' WHERE "userId" = $1`, [gone.userId]);
      await c.query(`UPDATE schools SET "deletedAt" = now() - interval '31 days' WHERE "schoolId" = $1`, [school.schoolId]);
    });
    const { cursor } = await walkChanges();

    const result = await runHousekeeping();

    expect(result.removed).toEqual({ idempotencyKeys: 0, users: 1, schools: 1, syncRuns: 0, changes: 0 });
    const erasures = await eventsWithCommits(cursor);
    const shown = erasures.map((event) => [event.type, event.entity.kind === 'membership' ? `${event.entity.userId} ${event.entity.schoolId}` : event.entity.id, event.actor, event.data]);
    // A batch's erasures and membership removals are one statement: its events are a set (the order of a statement's rows is its own).
    expect(shown.slice(0, 2)).toEqual(
      expect.arrayContaining([
        ['membership.deleted', `${gone.userId} ${live}`, HOUSEKEEPING_ACTOR, null],
        ['user.erased', gone.userId, HOUSEKEEPING_ACTOR, null],
      ]),
    );
    expect(shown.slice(2)).toEqual([['school.erased', school.schoolId, HOUSEKEEPING_ACTOR, null]]);
    expect(erasures[0].txid).toBe(erasures[1].txid);
    const before = (await walkChanges()).events;
    expect(before.filter((event) => event.entity.id === gone.userId || event.entity.id === school.schoolId).every((event) => event.data === null)).toBe(true);
    expect(before.find((event) => event.entity.id === kept.userId)?.data).toEqual(kept);

    // Every event so far committed 31 days ago: housekeeping's next run removes them all, commit by commit.
    await withClient((c) => c.query(`UPDATE change_commits SET "committedAt" = "committedAt" - interval '31 days'`));
    const commits = Number((await withClient((c) => c.query('SELECT count(*) FROM change_commits'))).rows[0].count);

    const pruned = await runHousekeeping();

    expect(pruned).toMatchObject({ removed: { changes: before.length }, complete: true });
    expect(pruned.batches).toBe(4 + commits + 1);
    expect((await walkChanges()).events).toEqual([]);
  });

  it('writes every event type from the API paths alone', async () => {
    const user = await apiUser({ firstName: 'Ada' });
    const school = await apiSchool({ name: 'North' });
    await put(school.schoolId, user.userId);
    await put(school.schoolId, user.userId, { role: 'principal' });
    await patch('users', user.userId, { firstName: 'Augusta' });
    await patch('schools', school.schoolId, { name: 'North High' });
    await remove('users', user.userId);
    await remove('schools', school.schoolId);
    await remove('users', user.userId, true);
    await remove('schools', school.schoolId, true);

    const types = new Set((await walkChanges()).events.map((event) => event.type));
    expect([...types].sort()).toEqual([...EVENT_TYPES].sort());
  });
});
