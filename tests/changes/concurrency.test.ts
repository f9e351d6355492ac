import '../support/wide-pool';
import pg from 'pg';
import { handler as createSchool } from '../../functions/create-school';
import { handler as link } from '../../functions/link';
import { sealChanges } from '../../shared/changes/seal';
import { closeConnections } from '../../shared/db/sequelize';
import { changesPage, resetChanges, walkChanges } from '../support/changes';
import { resetDatabase } from '../support/db';
import { invoke } from '../support/events';
import { apiUser } from '../support/fixtures';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  await resetDatabase();
  await resetChanges();
});
afterAll(closeConnections);

/** A writer through the API: schools (half with an Idempotency-Key, a transaction of several statements) and links. */
async function apiWriter(writer: number, userId: string): Promise<void> {
  for (let n = 0; n < 4; n++) {
    const headers = writer % 2 ? { 'Idempotency-Key': `w${writer}-${n}` } : undefined;
    const school = await invoke(createSchool, { route: 'POST /schools', body: { name: `W${writer} S${n}` }, headers });
    expect(school.status).toBe(201);
    expect((await invoke(link, { route: 'PUT /schools/{schoolId}/users/{userId}', pathParameters: { schoolId: school.body.schoolId, userId } })).status).toBe(201);
  }
}

/** A slow writer: takes its ids, then waits before sealing and again before COMMIT, so that faster ones commit past it. */
async function slowWriter(writer: number): Promise<void> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    for (let n = 0; n < 3; n++) {
      await client.query('BEGIN');
      const { rows } = await client.query(`INSERT INTO schools (name) VALUES ($1) RETURNING "schoolId"`, [`Slow ${writer}.${n}`]);
      await client.query(
        `INSERT INTO change_events ("type", "actorKind", "entityKind", "entityId", "data") VALUES ('school.created', 'api', 'school', $1, '{}')`,
        [rows[0].schoolId],
      );
      await sleep(20 + Math.random() * 80);
      await sealChanges(client);
      // The seal's lock is held until COMMIT: this wait (a slow network) delays the others' commits, never their order.
      await sleep(Math.random() * 10);
      await client.query('COMMIT');
    }
  } finally {
    await client.end();
  }
}

describe('the change feed under concurrent writers', () => {
  it('gives a consumer polling while 40 writers commit out of order exactly the events of a final walk, in the same order, each once', async () => {
    const user = await apiUser({ firstName: 'Member' });
    const { cursor: start } = await walkChanges();
    let writing = true;
    const seen: any[] = [];
    const consumer = (async () => {
      let cursor = start;
      // Small pages while the writers run, then until a page comes back empty after they stopped.
      for (;;) {
        const done = !writing;
        const page = await changesPage({ limit: '7', after: cursor });
        seen.push(...page.items);
        cursor = page.nextCursor;
        if (done && page.items.length === 0) return;
        if (page.items.length === 0) await sleep(5);
      }
    })();
    await Promise.all(Array.from({ length: 40 }, (_, writer) => (writer % 4 === 3 ? slowWriter(writer) : apiWriter(writer, user.userId))));
    writing = false;
    await consumer;

    const final = (await walkChanges(start, 1000)).events;
    expect(final).toHaveLength(10 * 3 + 30 * 8);
    expect(new Set(seen.map((event) => event.id)).size).toBe(seen.length);
    expect(seen.map((event) => event.id)).toEqual(final.map((event) => event.id));
    // The writers did commit out of event-id order: a plain id cursor would have skipped some.
    const ids = final.map((event) => BigInt(event.id));
    expect(ids.some((id, i) => i > 0 && id < ids[i - 1])).toBe(true);
  }, 120_000);
});
