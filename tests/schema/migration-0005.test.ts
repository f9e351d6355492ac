import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { migrations } from '../../migrations';
import { migrateDown } from '../../shared/db/migrator';
import { openSequelize, recreateDatabase } from '../support/databases';
import { roster11, writeRoster, type Org, type User11 } from '../support/roster';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');

/**
 * The last commit before districts: its migrations and its roster import write the database this
 * upgrade must take over. Checked out from the repository's history (a shallow clone lacks it).
 */
const PRE_DISTRICTS_COMMIT = '055b9b4a93f8d3743f8c0d8f957024867e32bbac';

const ROSTER_SOURCE = 's3://district-exports/springfield/';

jest.setTimeout(180_000);

/** A script of a source tree run against `url` in a process of its own, as `npm run <script>` runs it. */
async function script(tree: string, file: string, args: string[], url: string, env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(tree, file), ...args], {
    cwd: tree,
    env: { ...process.env, DATABASE_URL: url, ...env },
  });
  return stdout;
}

function district(): { orgs: Org[]; users: User11[] } {
  const orgs: Org[] = [{ sourcedId: 'sch-1', name: 'North School', identifier: 'N1' }, { sourcedId: 'sch-2', name: 'South School', identifier: 'S2' }];
  const users: User11[] = Array.from({ length: 20 }, (_, i) => ({
    sourcedId: `u-${i + 1}`,
    givenName: `Given${i + 1}`,
    email: `user${i + 1}@district.example`,
    orgs: i === 0 ? ['sch-1', 'sch-2'] : [i % 2 === 0 ? 'sch-1' : 'sch-2'],
    role: i === 0 ? 'guestLecturer' : 'student',
  }));
  return { orgs, users };
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** What the previous code reads and writes: users, schools and links as it keys them (by sourcedId). */
async function rosterState(url: string) {
  return {
    users: await query(url, `SELECT "userId", "sourcedId", "firstName", email, "deletedAt" IS NOT NULL AS deleted FROM users ORDER BY "userId"`),
    schools: await query(url, `SELECT "schoolId", "sourcedId", name, code, "deletedAt" IS NOT NULL AS deleted FROM schools ORDER BY "schoolId"`),
    links: await query(url, `SELECT "userUserId", "schoolSchoolId", role, source FROM user_schools ORDER BY 1, 2`),
  };
}

async function schemaShape(url: string) {
  const rows = await query<{ item: string }>(url, `
    SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type AS item FROM information_schema.columns WHERE table_schema = 'public'
    UNION ALL SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
    UNION ALL SELECT 'constraint ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE connamespace = 'public'::regnamespace
    ORDER BY 1`);
  return rows.map((row) => row.item);
}

describe('migration 0005-add-districts on a database the previous code wrote', () => {
  let tree: string;
  let url: string;

  beforeAll(async () => {
    try {
      execFileSync('git', ['-C', ROOT, 'cat-file', '-e', `${PRE_DISTRICTS_COMMIT}^{commit}`], { stdio: 'ignore' });
    } catch {
      throw new Error(`This test needs commit ${PRE_DISTRICTS_COMMIT} from the repository's history, which a shallow clone lacks: run \`git fetch --unshallow\` (docs/development.md)`);
    }
    tree = mkdtempSync(path.join(os.tmpdir(), 'roster-pre-districts-'));
    execFileSync('sh', ['-c', `git -C "${ROOT}" archive ${PRE_DISTRICTS_COMMIT} | tar -x -C "${tree}"`]);
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(tree, 'node_modules'));
    url = await recreateDatabase(process.env.TEST_SERVER_URL!, `roster_upgrade_${process.env.JEST_WORKER_ID}`);
  });
  afterAll(() => rmSync(tree, { recursive: true, force: true }));

  it('moves the roster into one district whose source is ROSTER_SOURCE, keeps syncing it, and goes back down', async () => {
    // Prepare: the previous schema and roster import; one user dropped from the roster, one API user and link.
    await script(tree, 'scripts/migrate.ts', [], url);
    const previousSchema = await schemaShape(url);
    const { orgs, users } = district();
    const full = writeRoster(roster11(orgs, users));
    expect(await script(tree, 'scripts/sync.ts', [full], url)).toMatch(/^Roster sync succeeded/);
    expect(await script(tree, 'scripts/sync.ts', [writeRoster(roster11(orgs, users.slice(0, 19)))], url)).toMatch(/^Roster sync succeeded/);
    await query(url, `
      WITH api AS (INSERT INTO users ("firstName", email) VALUES ('Api', 'api@elsewhere.example') RETURNING "userId")
      INSERT INTO user_schools ("userUserId", "schoolSchoolId") SELECT api."userId", s."schoolId" FROM api, schools s WHERE s."sourcedId" = 'sch-1'`);
    const before = await rosterState(url);

    // Act: this code's migrate, as a deployment runs it (ROSTER_SOURCE set on the stage).
    expect(await script(ROOT, 'scripts/migrate.ts', [], url, { ROSTER_SOURCE, ROSTER_SYNC_SCHEDULE: 'rate(1 day)' })).toContain('0005-add-districts');

    // Assess: one district, everything of the roster in it, nothing else moved; it keeps the deployment's
    // schedule (0007), due at once, so the scheduler goes on syncing it.
    const [district0, ...others] = await query<{ districtId: string; rosterSource: string; enabled: boolean }>(
      url,
      `SELECT "districtId", "rosterSource", enabled, "syncSchedule", "nextSyncAt" <= now() AS due FROM districts`,
    );
    expect(others).toEqual([]);
    expect(district0).toMatchObject({ rosterSource: ROSTER_SOURCE, enabled: true, syncSchedule: 'rate(1 day)', due: true });
    const d = district0.districtId;
    expect(await rosterState(url)).toEqual(before);
    expect(await query(url, `SELECT "sourcedId", "releasedAt" IS NOT NULL AS released, "districtId" = '${d}' AS ours FROM user_roster_identities ORDER BY "sourcedId"`)).toEqual(
      users.map((u) => ({ sourcedId: u.sourcedId, released: u.sourcedId === 'u-20', ours: true })).sort((a, b) => a.sourcedId.localeCompare(b.sourcedId)),
    );
    expect(await query(url, `SELECT source, count(*)::int AS n FROM users GROUP BY 1 ORDER BY 1`)).toEqual([{ source: 'api', n: 1 }, { source: 'roster', n: 20 }]);
    expect(await query(url, `SELECT "sourcedId", "districtId" = '${d}' AS ours FROM schools ORDER BY 1`)).toEqual([{ sourcedId: 'sch-1', ours: true }, { sourcedId: 'sch-2', ours: true }]);
    expect(await query(url, `SELECT source, "districtId" = '${d}' AS ours, count(*)::int AS n FROM user_schools GROUP BY 1, 2 ORDER BY 1`)).toEqual([
      { source: 'api', ours: null, n: 1 },
      { source: 'roster', ours: true, n: 20 },
    ]);
    expect(await query(url, `SELECT count(*)::int AS n FROM roster_sync_runs WHERE "districtId" = '${d}'`)).toEqual([{ n: 2 }]);

    // The upgraded deployment syncs as before with no district named: the same roster changes nothing,
    // and the user who comes back is the same user.
    const again = await script(ROOT, 'scripts/sync.ts', [full], url, { ROSTER_SOURCE });
    expect(again).toMatch(/^Roster sync succeeded/);
    expect(again).toContain('users                  0          0         19          0          1');
    expect(again).toContain('memberships            1          0         20          0          0');
    const restored = await rosterState(url);
    expect(restored.users.map((u) => u.userId)).toEqual(before.users.map((u) => u.userId));

    // Down: the previous schema, and the previous code syncs the same roster with zero changes.
    const sequelize = openSequelize(url);
    try {
      // Down to before 0005: the migrations added after it go first.
      const later = migrations.map((m) => m.name).filter((name) => name > '0005-add-districts').reverse();
      expect(await migrateDown(sequelize, '0005-add-districts')).toEqual([...later, '0005-add-districts']);
    } finally {
      await sequelize.close();
    }
    expect(await schemaShape(url)).toEqual(previousSchema);
    expect(await rosterState(url)).toEqual(restored);
    const old = await script(tree, 'scripts/sync.ts', [full], url);
    expect(old).toContain('users                  0          0         20          0          0');
    expect(old).toContain('memberships            0          0         21          0          0');
  });

  it('refuses to go down while two districts hold records, changing nothing', async () => {
    await script(ROOT, 'scripts/migrate.ts', [], url);
    await query(url, `
      WITH a AS (INSERT INTO districts (name) VALUES ('A') RETURNING "districtId"), b AS (INSERT INTO districts (name) VALUES ('B') RETURNING "districtId")
      INSERT INTO schools (name, "sourcedId", "districtId") SELECT 'A school', 's-1', "districtId" FROM a UNION ALL SELECT 'B school', 's-1', "districtId" FROM b`);
    const sequelize = openSequelize(url);
    try {
      expect(await migrateDown(sequelize, '0006-add-retention-indexes')).toEqual(['0009-oneroster', '0008-create-change-feed', '0007-district-routes', '0006-add-retention-indexes']);
      const districts = await query(url, `SELECT * FROM districts ORDER BY "districtId"`);
      await expect(migrateDown(sequelize, '0005-add-districts')).rejects.toThrow(/several districts/);
      expect(await query(url, `SELECT * FROM districts ORDER BY "districtId"`)).toEqual(districts);
    } finally {
      await sequelize.close();
    }
  });
});
