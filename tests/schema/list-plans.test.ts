import { handler as list } from '../../functions/list';
import { closeConnections } from '../../shared/db/sequelize';
import { encodeCursor } from '../../shared/schemas';
import { resetDatabase, withClient } from '../support/db';
import { invoke } from '../support/events';
import { recordQueries, type RecordedQuery } from '../support/queries';

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Relation Name'?: string;
  Plans?: PlanNode[];
}

const flatten = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(flatten)];

async function planOf(query: RecordedQuery): Promise<PlanNode[]> {
  const [{ 'QUERY PLAN': [{ Plan }] }] = await withClient(async (c) => (await c.query(`EXPLAIN (FORMAT JSON) ${query.sql}`, query.bind)).rows);
  return flatten(Plan);
}

let bigSchoolId: string;
let busyUserId: string;
let smallSchoolId: string;
let bigDistrictId: string;
let smallDistrictId: string;

beforeAll(async () => {
  await resetDatabase();
  await withClient(async (c) => {
    await c.query(`
      INSERT INTO users ("firstName", "lastName", "email")
      SELECT 'First' || (i % 97), CASE WHEN i % 20 = 0 THEN NULL ELSE 'Last' || lpad((i % 5000)::text, 4, '0') END, 'user' || i || '@example.org'
      FROM generate_series(1, 40000) AS i;
      INSERT INTO schools ("name") SELECT 'School ' || lpad(i::text, 4, '0') FROM generate_series(1, 2000) AS i;
      -- One big school with 30,000 members; every other school with ~5.
      INSERT INTO user_schools ("userUserId", "schoolSchoolId")
      SELECT u."userId", (SELECT "schoolId" FROM schools WHERE name = 'School 0001') FROM users u WHERE u."lastName" IS NULL OR right(u."lastName", 1) <> '9' AND u.email < 'user7';
      INSERT INTO user_schools ("userUserId", "schoolSchoolId")
      SELECT u."userId", s."schoolId" FROM users u JOIN schools s ON s.name = 'School ' || lpad((2 + abs(hashtext(u."userId"::text)) % 1999)::text, 4, '0')
      ON CONFLICT DO NOTHING;
      UPDATE users SET "deletedAt" = now() WHERE "firstName" = 'First3';
      -- Two districts: one holds 30,000 users and 1,500 schools, the other 300 users and 10 schools.
      INSERT INTO districts (name) VALUES ('Big'), ('Small');
      INSERT INTO user_roster_identities ("districtId", "sourcedId", "userId")
      SELECT (SELECT d."districtId" FROM districts d WHERE d.name = CASE WHEN n <= 30000 THEN 'Big' ELSE 'Small' END), 'u-' || n, "userId"
      FROM (SELECT "userId", row_number() OVER (ORDER BY email) AS n FROM users) u WHERE n <= 30300;
      UPDATE schools s SET "districtId" = (SELECT d."districtId" FROM districts d WHERE d.name = CASE WHEN s.name <= 'School 1500' THEN 'Big' ELSE 'Small' END)
      WHERE s.name <= 'School 1510';
      ANALYZE users; ANALYZE schools; ANALYZE user_schools; ANALYZE user_roster_identities;
    `);
    bigSchoolId = (await c.query(`SELECT "schoolId" FROM schools WHERE name = 'School 0001'`)).rows[0].schoolId;
    smallSchoolId = (await c.query(`SELECT "schoolId" FROM schools WHERE name = 'School 0777'`)).rows[0].schoolId;
    bigDistrictId = (await c.query(`SELECT "districtId" FROM districts WHERE name = 'Big'`)).rows[0].districtId;
    smallDistrictId = (await c.query(`SELECT "districtId" FROM districts WHERE name = 'Small'`)).rows[0].districtId;
    busyUserId = (await c.query(`SELECT "userUserId" FROM user_schools GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`)).rows[0].userUserId;
  });
}, 120_000);
afterAll(closeConnections);

async function plansFor(route: string, pathParameters: Record<string, string> | undefined, query: Record<string, string>) {
  const { result, queries } = await recordQueries(() => invoke(list, { route, pathParameters, query }));
  expect(result.status).toBe(200);
  return Promise.all(queries.map(planOf));
}

const deepUserCursor = (offset: number) =>
  withClient(async (c) => {
    const { rows } = await c.query(
      `SELECT "lastName", "firstName", "userId" FROM users WHERE "deletedAt" IS NULL ORDER BY "lastName" IS NULL, "lastName", "firstName", "userId" OFFSET $1 LIMIT 1`,
      [offset],
    );
    return encodeCursor(rows[0]);
  });

const describePlan = (plan: PlanNode[]) => plan.map((n) => `${n['Node Type']}${n['Index Name'] ? ` on ${n['Index Name']}` : ''}`);
const node = (type: string | RegExp, index?: string) =>
  expect.objectContaining({ 'Node Type': typeof type === 'string' ? type : expect.stringMatching(type), ...(index ? { 'Index Name': index } : {}) });
/** A plain, index-only or bitmap scan of `index`: the planner picks among them by estimated rows. */
const scanOf = (index: string) => node(/Index( Only)? Scan$/, index);
const noSeqScan = (plans: PlanNode[][]) => expect(plans.flat().filter((n) => n['Node Type'] === 'Seq Scan')).toEqual([]);

describe('list query plans on 40,000 users, 2,000 schools and a school of 30,000 members', () => {
  it('walks the users index from the cursor for the first page and a page 30,000 rows deep, with no sort', async () => {
    const [first] = await plansFor('GET /users', undefined, {});
    const [deep] = await plansFor('GET /users', undefined, { cursor: await deepUserCursor(30_000) });

    expect(describePlan(first)).toEqual(['Limit', 'Index Scan on users_list_order_idx']);
    expect(describePlan(deep)).toEqual(['Limit', 'Index Scan on users_list_order_idx']);
    // The cursor is an index condition, where the scan starts, not a filter applied to every row before it.
    expect((deep[1] as { 'Index Cond'?: string })['Index Cond']).toMatch(/^\(ROW\(/);
  });

  it('walks the schools index from the cursor', async () => {
    const cursor = encodeCursor({ name: 'School 1500', schoolId: '00000000-0000-4000-8000-000000000000' });
    const [deep] = await plansFor('GET /schools', undefined, { cursor });

    expect(describePlan(deep)).toEqual(['Limit', 'Index Scan on schools_list_order_idx']);
    expect((deep[1] as { 'Index Cond'?: string })['Index Cond']).toMatch(/^\(ROW\(/);
  });

  it("walks a district's schools in the schools' order from the cursor, through the district's list index", async () => {
    const cursor = encodeCursor({ name: 'School 1200', schoolId: '00000000-0000-4000-8000-000000000000' });
    const big = await plansFor('GET /schools', undefined, { districtId: bigDistrictId, cursor });
    const small = await plansFor('GET /schools', undefined, { districtId: smallDistrictId });

    for (const [plan] of [big, small]) expect(describePlan(plan)).toEqual(['Limit', 'Index Scan on schools_district_list_order_idx']);
    expect((big[0][1] as { 'Index Cond'?: string })['Index Cond']).toMatch(/districtId.*ROW\(/s);
  });

  it("lists a district's users without reading the whole users table, for a big and a small district, first page and deep", async () => {
    const big = await plansFor('GET /users', undefined, { districtId: bigDistrictId });
    const deep = await plansFor('GET /users', undefined, { districtId: bigDistrictId, cursor: await deepUserCursor(20_000) });
    const small = await plansFor('GET /users', undefined, { districtId: smallDistrictId });

    // A big district: the users' order, each user's identity probed by (userId, districtId); no sort.
    for (const [plan] of [big, deep]) {
      expect(plan).toEqual(expect.arrayContaining([scanOf('users_list_order_idx'), scanOf('user_roster_identities_user_district_key')]));
      expect(describePlan(plan)).not.toContain('Sort');
    }
    noSeqScan([...big, ...deep]);
    // A small district: its identities found by the district's key, then sorted (bounded by the district's
    // size). Joining them to 40,000 users, the planner may prefer one pass over users to 300 probes of
    // users_pkey; a deployment of 200,000 users tips it the other way. It never reads every identity.
    expect(small[0]).toEqual(expect.arrayContaining([scanOf('user_roster_identities_pkey')]));
    expect(small[0].filter((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'user_roster_identities')).toEqual([]);
  });

  it('finds a few users by prefix through the prefix indexes, and one by email through an email index', async () => {
    const prefix = await plansFor('GET /users', undefined, { q: 'user1234' });
    const email = await plansFor('GET /users', undefined, { email: 'USER77@example.org' });

    expect(prefix[0]).toEqual(
      expect.arrayContaining([node('BitmapOr'), scanOf('users_first_name_prefix_idx'), scanOf('users_last_name_prefix_idx'), scanOf('users_email_prefix_idx')]),
    );
    expect(describePlan(email[0]).some((n) => /Index( Only)? Scan on users_email_/.test(n))).toBe(true);
    noSeqScan([...prefix, ...email]);
  });

  it('walks the users index and probes memberships for a big school, first page and 25,000 rows deep alike', async () => {
    const first = await plansFor('GET /schools/{schoolId}/users', { schoolId: bigSchoolId }, {});
    const deep = await plansFor('GET /schools/{schoolId}/users', { schoolId: bigSchoolId }, { cursor: await deepUserCursor(25_000) });
    const byRole = await plansFor('GET /schools/{schoolId}/users', { schoolId: bigSchoolId }, { role: 'teacher' });

    for (const [exists, page] of [first, deep, byRole]) {
      expect(exists).toEqual(expect.arrayContaining([scanOf('schools_pkey')]));
      // Either index on the pair serves the probe: the planner picks by size.
      expect(describePlan(page)).toEqual(['Limit', 'Nested Loop', 'Index Scan on users_list_order_idx', expect.stringMatching(/^Index (Only )?Scan on user_schools_(user_school_key|school_user_idx)$/)]);
    }
    expect((deep[1][2] as { 'Index Cond'?: string })['Index Cond']).toMatch(/^\(ROW\(/);
  });

  it('reads a small school through its memberships index', async () => {
    const plans = await plansFor('GET /schools/{schoolId}/users', { schoolId: smallSchoolId }, {});

    expect(plans[1]).toEqual(expect.arrayContaining([scanOf('user_schools_school_user_idx'), scanOf('users_pkey')]));
    noSeqScan(plans);
  });

  it("reads a user's schools through the unique pair's index", async () => {
    const plans = await plansFor('GET /users/{userId}/schools', { userId: busyUserId }, {});

    expect(plans[1]).toEqual(expect.arrayContaining([scanOf('user_schools_user_school_key'), scanOf('schools_pkey')]));
    noSeqScan(plans);
  });
});
