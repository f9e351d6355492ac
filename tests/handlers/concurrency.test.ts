import '../support/wide-pool';
import { handler as createUser } from '../../functions/create-user';
import { handler as link } from '../../functions/link';
import { handler as list } from '../../functions/list';
import { closeConnections } from '../../shared/db/sequelize';
import { resetDatabase, withClient } from '../support/db';
import { invoke, countBy } from '../support/events';
import { apiSchool, apiUser, linkRows } from '../support/fixtures';

const put = (schoolId: string, userId: string, role?: string) =>
  invoke(link, { route: 'PUT /schools/{schoolId}/users/{userId}', pathParameters: { schoolId, userId }, body: role ? { role } : undefined });

beforeEach(resetDatabase);
afterAll(closeConnections);

describe('requests racing for the same record', () => {
  it('links a pair once when 50 PUTs race: one 201, forty-nine 200, one row', async () => {
    const user = await apiUser({ firstName: 'Ada' });
    const school = await apiSchool({ name: 'Analytical Academy' });

    const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => put(school.schoolId, user.userId, i % 2 ? 'aide' : undefined)));

    expect(countBy(replies.map((r) => r.status))).toEqual({ 200: 49, 201: 1 });
    const rows = await linkRows();
    expect(rows).toHaveLength(1);
    const createdAt = replies.find((r) => r.status === 201)!.body.createdAt;
    expect(new Set(replies.map((r) => r.body.createdAt))).toEqual(new Set([createdAt]));
  });

  it('creates one user when 50 POST /users race with the same email: one 201, forty-nine 409', async () => {
    const replies = await Promise.all(
      Array.from({ length: 50 }, (_, i) => invoke(createUser, { route: 'POST /users', body: { firstName: `Racer ${i}`, email: i % 2 ? 'race@example.org' : 'RACE@example.org' } })),
    );

    expect(countBy(replies.map((r) => r.status))).toEqual({ 201: 1, 409: 49 });
    expect(replies.find((r) => r.status === 409)!.body).toMatchObject({ status: 409, detail: 'A user with this email already exists.' });
    expect(await withClient(async (c) => (await c.query('SELECT count(*)::int AS n FROM users')).rows[0].n)).toBe(1);
  });
});

describe('walking a large school while members are added', () => {
  it('returns each member that existed before the walk exactly once, in order', async () => {
    const school = await apiSchool({ name: 'Big School' });
    // 3,000 members with colliding names (the userId breaks ties) and a tail without a lastName.
    const existing: string[] = await withClient(async (c) => {
      await c.query(
        `INSERT INTO users ("firstName", "lastName")
         SELECT 'F' || (i % 7), CASE WHEN i % 10 = 0 THEN NULL ELSE 'L' || lpad((i % 400)::text, 3, '0') END
         FROM generate_series(1, 3000) AS i`,
      );
      await c.query(`INSERT INTO user_schools ("userUserId", "schoolSchoolId", "role") SELECT "userId", $1, 'student' FROM users`, [school.schoolId]);
      const ordered = await c.query(
        `SELECT "userId" FROM users ORDER BY "lastName" IS NULL, "lastName", "firstName", "userId"`,
      );
      return ordered.rows.map((r) => r.userId);
    });

    const walked: Array<{ userId: string; lastName: string | null; firstName: string }> = [];
    const added: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const query: Record<string, string> = cursor ? { limit: '97', cursor } : { limit: '97' };
      // Each page is fetched while two new members join: one sorting before the walk's position, one after.
      const [page] = await Promise.all([
        invoke(list, { route: 'GET /schools/{schoolId}/users', pathParameters: { schoolId: school.schoolId }, query }),
        ...['A-early', 'Z-late'].map(async (lastName) => {
          const user = await apiUser({ firstName: `New${pages}`, lastName });
          added.push(user.userId);
          expect((await put(school.schoolId, user.userId)).status).toBe(201);
        }),
      ]);
      expect(page.status).toBe(200);
      walked.push(...page.body.items);
      cursor = page.body.nextCursor ?? undefined;
      pages++;
    } while (cursor);

    const walkedExisting = walked.map((u) => u.userId).filter((id) => !added.includes(id));
    expect(walkedExisting).toEqual(existing);
    expect(new Set(walked.map((u) => u.userId)).size).toBe(walked.length);
    expect(pages).toBeGreaterThanOrEqual(31);
  });
});

describe('a link racing a soft delete', () => {
  it('answers 404 and stores no link when the user is soft-deleted while the PUT waits', async () => {
    const user = await apiUser({ firstName: 'Ada' });
    const school = await apiSchool({ name: 'Analytical Academy' });

    const reply = await withClient(async (deleter) => {
      await deleter.query('BEGIN');
      await deleter.query(`UPDATE users SET "deletedAt" = now() WHERE "userId" = $1`, [user.userId]);
      const pending = put(school.schoolId, user.userId);
      // The PUT must be waiting on the user's row lock before the delete commits.
      await waitForLockWait();
      await deleter.query('COMMIT');
      return pending;
    });

    expect(reply.status).toBe(404);
    expect(reply.body.detail).toBe(`No user ${user.userId}.`);
    expect(await linkRows()).toEqual([]);
  });

  it('links when a soft delete that the PUT waited for rolls back', async () => {
    const user = await apiUser({ firstName: 'Ada' });
    const school = await apiSchool({ name: 'Analytical Academy' });

    const reply = await withClient(async (deleter) => {
      await deleter.query('BEGIN');
      await deleter.query(`UPDATE schools SET "deletedAt" = now() WHERE "schoolId" = $1`, [school.schoolId]);
      const pending = put(school.schoolId, user.userId);
      await waitForLockWait();
      await deleter.query('ROLLBACK');
      return pending;
    });

    expect(reply.status).toBe(201);
    expect(await linkRows()).toHaveLength(1);
  });
});

async function waitForLockWait() {
  for (let attempt = 0; attempt < 200; attempt++) {
    const waiting = await withClient(
      async (c) =>
        (await c.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)).rows[0].n,
    );
    if (waiting > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the PUT never waited for the lock');
}
