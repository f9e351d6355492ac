import { handler as change } from '../../functions/change';
import { handler as createUser } from '../../functions/create-user';
import { handler as link } from '../../functions/link';
import { closeConnections } from '../../shared/db/sequelize';
import { runRosterSync } from '../../shared/roster/sync';
import { resetDatabase, withClient } from '../support/db';
import { FULL_ACCESS_CLAIMS, invoke } from '../support/events';
import { apiSchool } from '../support/fixtures';
import { roster11, smallDistrict11, writeRoster } from '../support/roster';

/** A person whose every value is unusual enough that finding it anywhere means it was kept. */
const PERSON = { firstName: 'Zebulon', lastName: 'Quagmirewski', email: 'Zeb.Quagmire@erasure.example', userName: 'zquagmire77' };
const VALUES = Object.values(PERSON);

/**
 * Every row of every table of the database whose text holds one of `values` (case-insensitively): each
 * text, character, json and jsonb column of every table of the schema, read from information_schema.
 */
async function findValues(values: readonly string[]): Promise<string[]> {
  return withClient(async (c) => {
    const { rows: columns } = await c.query(`
      SELECT table_name, column_name FROM information_schema.columns
      WHERE table_schema = current_schema() AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')
      ORDER BY table_name, column_name`);
    const found: string[] = [];
    for (const { table_name: table, column_name: column } of columns) {
      const { rows } = await c.query(`SELECT count(*)::int AS n FROM "${table}" WHERE "${column}"::text ILIKE ANY($1)`, [values.map((v) => `%${v}%`)]);
      if (rows[0].n > 0) found.push(`${table}.${column}`);
    }
    return found;
  });
}

beforeEach(async () => {
  await resetDatabase();
  await withClient((c) => c.query('TRUNCATE roster_sync_runs, idempotency_keys'));
});
afterAll(closeConnections);

describe('erasing a person', () => {
  it('leaves no table holding their name, email or userName: not the row, their memberships, a stored response or a run report', async () => {
    // Created with an Idempotency-Key (its stored response holds the person), a member of five schools,
    // and on a district's roster, where a later export carries a bad row and a clash of theirs.
    const created = await invoke(createUser, { route: 'POST /users', body: PERSON, headers: { 'Idempotency-Key': 'order-7731' } });
    expect(created.status).toBe(201);
    const { userId } = created.body;
    for (const name of ['A', 'B', 'C', 'D', 'E']) {
      const school = await apiSchool({ name: `School ${name}` });
      await invoke(link, { route: 'PUT /schools/{schoolId}/users/{userId}', pathParameters: { schoolId: school.schoolId, userId } });
    }
    const { orgs, users } = smallDistrict11();
    users.push({ sourcedId: 'zeb-1', givenName: PERSON.firstName, familyName: PERSON.lastName, email: PERSON.email, username: PERSON.userName, orgs: ['sch-1'], role: 'teacher' });
    expect(await runRosterSync({ source: writeRoster(roster11(orgs, users)) })).toMatchObject({ status: 'succeeded', users: { adopted: 1 } });
    users[0].email = PERSON.email.toUpperCase();
    users[1].email = `${PERSON.email}@`;
    users[2].username = PERSON.userName;
    expect(await runRosterSync({ source: writeRoster(roster11(orgs, users)) })).toMatchObject({ status: 'succeeded', errorCount: expect.any(Number) });

    // The change feed's events hold them too (docs/change-feed.md), until erasure scrubs them.
    expect(await findValues(VALUES)).toEqual(['change_events.data', 'idempotency_keys.responseBody', 'users.email', 'users.firstName', 'users.lastName', 'users.userName']);

    const erased = await invoke(change, {
      route: 'DELETE /users/{userId}',
      pathParameters: { userId },
      query: { erase: 'true' },
      claims: { ...FULL_ACCESS_CLAIMS, scope: 'roster/erase' },
    });

    expect(erased.status).toBe(204);
    expect(await findValues(VALUES)).toEqual([]);
    expect(await findValues([userId])).toEqual([]);
    const left = await withClient(
      async (c) =>
        (await c.query(`SELECT (SELECT count(*)::int FROM user_schools WHERE "userUserId" = $1) AS links, (SELECT count(*)::int FROM user_roster_identities WHERE "userId" = $1) AS identities`, [userId])).rows[0],
    );
    expect(left).toEqual({ links: 0, identities: 0 });
  });

  it('forgets the Idempotency-Key that created them: a retry with it is a new request', async () => {
    const first = await invoke(createUser, { route: 'POST /users', body: PERSON, headers: { 'Idempotency-Key': 'k-1' } });
    await invoke(change, { route: 'DELETE /users/{userId}', pathParameters: { userId: first.body.userId }, query: { erase: 'true' }, claims: { ...FULL_ACCESS_CLAIMS, scope: 'roster/erase' } });

    const retry = await invoke(createUser, { route: 'POST /users', body: PERSON, headers: { 'Idempotency-Key': 'k-1' } });

    expect(retry.status).toBe(201);
    expect(retry.headers['Idempotent-Replayed']).toBeUndefined();
    expect(retry.body.userId).not.toBe(first.body.userId);
  });
});
