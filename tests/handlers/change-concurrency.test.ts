import '../support/wide-pool';
import { handler as change } from '../../functions/change';
import { handler as link } from '../../functions/link';
import { handler as list } from '../../functions/list';
import { closeConnections } from '../../shared/db/sequelize';
import { resetDatabase, withClient } from '../support/db';
import { invoke, countBy } from '../support/events';
import { apiSchool, apiUser, linkRows } from '../support/fixtures';

const patchUser = (userId: string, body: unknown, headers: Record<string, string> = {}) =>
  invoke(change, { route: 'PATCH /users/{userId}', pathParameters: { userId }, body, headers });
const deleteUser = (userId: string) => invoke(change, { route: 'DELETE /users/{userId}', pathParameters: { userId } });
const getUser = (userId: string) => invoke(list, { route: 'GET /users/{userId}', pathParameters: { userId } });

beforeEach(resetDatabase);
afterAll(closeConnections);

describe('changes racing on one record', () => {
  it('applies 20 racing PATCHes whole, one after another: every one 200, and the record is one of them, never a mix', async () => {
    const user = await apiUser({ firstName: 'Ada', lastName: 'Byron' });

    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => patchUser(user.userId, { firstName: `First${i}`, lastName: `Last${i}` })));

    expect(countBy(replies.map((r) => r.status))).toEqual({ 200: 20 });
    const final = (await getUser(user.userId)).body;
    expect(final.lastName).toBe(`Last${final.firstName.slice('First'.length)}`);
    // Each reply is the record its own patch made: the ETags are 20 different versions.
    expect(new Set(replies.map((r) => r.headers.ETag)).size).toBe(20);
  });

  it('lets exactly one of 20 PATCHes with the same If-Match through: one 200, nineteen 412', async () => {
    const user = await apiUser({ firstName: 'Ada' });
    const { ETag } = (await getUser(user.userId)).headers;

    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => patchUser(user.userId, { lastName: `Last${i}` }, { 'If-Match': ETag })));

    expect(countBy(replies.map((r) => r.status))).toEqual({ 200: 1, 412: 19 });
    const winner = replies.find((r) => r.status === 200)!;
    expect(await getUser(user.userId)).toMatchObject({ status: 200, body: winner.body, headers: { ETag: winner.headers.ETag } });
  });

  it('ends a PATCH racing a DELETE in a deleted record: the PATCH answered 200 before it, or 404 after it', async () => {
    const school = await apiSchool({ name: 'Northside' });
    for (let round = 0; round < 10; round++) {
      const user = await apiUser({ firstName: `Ada${round}` });
      await invoke(link, { route: 'PUT /schools/{schoolId}/users/{userId}', pathParameters: { schoolId: school.schoolId, userId: user.userId } });

      const [patched, deleted] = await Promise.all([patchUser(user.userId, { lastName: 'Racer' }), deleteUser(user.userId)]);

      expect({ round, deleted: deleted.status, patched: [200, 404].includes(patched.status) }).toEqual({ round, deleted: 204, patched: true });
      expect((await getUser(user.userId)).status).toBe(404);
      const row = await withClient(async (c) => (await c.query(`SELECT "lastName", "deletedAt" FROM users WHERE "userId" = $1`, [user.userId])).rows[0]);
      expect({ round, lastName: row.lastName, deleted: row.deletedAt !== null }).toEqual({ round, lastName: patched.status === 200 ? 'Racer' : null, deleted: true });
    }
    expect(await linkRows()).toEqual([]);
  });

  it('never leaves a membership of a deleted user when links race the DELETE', async () => {
    const schools = await Promise.all(['A', 'B', 'C', 'D', 'E'].map((name) => apiSchool({ name })));
    const user = await apiUser({ firstName: 'Ada' });

    const [deleted, ...links] = await Promise.all([
      deleteUser(user.userId),
      ...schools.map((s) => invoke(link, { route: 'PUT /schools/{schoolId}/users/{userId}', pathParameters: { schoolId: s.schoolId, userId: user.userId } })),
    ]);

    expect(deleted.status).toBe(204);
    expect(links.every((r) => [201, 404].includes(r.status))).toBe(true);
    expect(await linkRows()).toEqual([]);
  });
});
