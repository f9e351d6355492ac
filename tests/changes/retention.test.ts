import { handler as changes } from '../../functions/changes';
import { handler as link } from '../../functions/link';
import { pruneChanges, scrubEntityEvents } from '../../shared/changes/retention';
import { getSequelize } from '../../shared/db/sequelize';
import { runRosterSync } from '../../shared/roster/sync';
import { changesPage, resetChanges, walkChanges } from '../support/changes';
import { resetDatabase, withClient } from '../support/db';
import { invoke } from '../support/events';
import { apiSchool, apiUser } from '../support/fixtures';
import { roster11, writeRoster } from '../support/roster';

/** Moves every commit so far `days` into the past, as if it had committed then. */
const ageCommits = (days: number) => withClient((c) => c.query(`UPDATE change_commits SET "committedAt" = "committedAt" - make_interval(days => $1)`, [days]));

beforeEach(async () => {
  await resetDatabase();
  await withClient((c) => c.query('TRUNCATE roster_sync_runs'));
  await resetChanges();
});
afterAll(() => getSequelize().close());

describe('change retention (CHANGES_RETENTION_DAYS, default 30)', () => {
  it('removes events older than retention, oldest first; a cursor inside what it removed is a 410, later ones read on', async () => {
    await apiSchool({ name: 'Old 1' });
    const mid = await changesPage();
    await apiSchool({ name: 'Old 2' });
    await ageCommits(31);
    await apiSchool({ name: 'Recent' });
    const recentStart = await changesPage({ limit: '2' });

    expect(await pruneChanges()).toEqual({ events: 2, commits: 2 });
    expect(await pruneChanges()).toEqual({ events: 0, commits: 0 });

    const stale = await invoke(changes, { route: 'GET /changes', query: { after: mid.nextCursor } });
    expect(stale.status).toBe(410);
    expect((await walkChanges()).events.map((event) => event.data.name)).toEqual(['Recent']);
    expect((await changesPage({ after: recentStart.nextCursor })).items.map((event) => event.data.name)).toEqual(['Recent']);
  });

  it('keeps events younger than retention', async () => {
    await apiSchool({ name: 'Young' });
    await ageCommits(29);

    expect(await pruneChanges()).toEqual({ events: 0, commits: 0 });
    expect((await walkChanges()).events).toHaveLength(1);
  });

  it("removes a large transaction's events in bounded batches; the watermark moves inside it, so a cursor in the removed part is a 410", async () => {
    const users = Array.from({ length: 30 }, (_, i) => ({ sourcedId: `u-${i}`, givenName: `G${i}` }));
    await runRosterSync({ source: writeRoster(roster11([{ sourcedId: 's', name: 'S' }], users)) });
    const firstTen = await changesPage({ limit: '10' });
    const firstTwenty = await changesPage({ limit: '20' });
    await ageCommits(40);

    // 31 events (a school, 30 users): two batches of 15 leave one event and its commit.
    expect(await pruneChanges({ batch: 15, maxBatches: 2 })).toEqual({ events: 30, commits: 0 });
    expect((await invoke(changes, { route: 'GET /changes', query: { after: firstTen.nextCursor } })).status).toBe(410);
    expect((await walkChanges()).events).toHaveLength(1);
    expect(await pruneChanges({ batch: 15 })).toEqual({ events: 1, commits: 1 });
    expect((await invoke(changes, { route: 'GET /changes', query: { after: firstTwenty.nextCursor } })).status).toBe(410);
    expect((await changesPage()).items).toEqual([]);
  });
});

describe('scrubEntityEvents (the erasure hook)', () => {
  it("nulls the data of a user's earlier events and membership events, and no one else's, keeping their type and entity", async () => {
    const ada = await apiUser({ firstName: 'Ada', email: 'ada@example.org', userName: 'ada' });
    const bob = await apiUser({ firstName: 'Bob' });
    const school = await apiSchool({ name: 'Analytical Academy' });
    for (const userId of [ada.userId, bob.userId]) {
      await invoke(link, { route: 'PUT /schools/{schoolId}/users/{userId}', pathParameters: { schoolId: school.schoolId, userId } });
    }

    expect(await scrubEntityEvents('user', [ada.userId])).toBe(2);

    const events = (await walkChanges()).events;
    expect(events.map((event) => [event.type, event.entity.userId ?? event.entity.id, event.data === null])).toEqual([
      ['user.created', ada.userId, true],
      ['user.created', bob.userId, false],
      ['school.created', school.schoolId, false],
      ['membership.created', ada.userId, true],
      ['membership.created', bob.userId, false],
    ]);
    const stored = await withClient(async (c) => (await c.query(`SELECT count(*)::int AS n FROM change_events WHERE data::text LIKE $1 OR data::text LIKE '%ada@example.org%'`, [`%${ada.userId}%`])).rows[0].n);
    expect(stored).toBe(0);
    expect(await scrubEntityEvents('school', [school.schoolId])).toBe(1);
  });
});
