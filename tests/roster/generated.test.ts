import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateRoster } from '../../scripts/roster-generator';
import { getSequelize } from '../../shared/db/sequelize';
import { runRosterSync } from '../../shared/roster/sync';
import { withClient } from '../support/db';
import { counts, resetRoster } from '../support/roster';

afterAll(() => getSequelize().close());
beforeEach(resetRoster);

const tempDir = () => mkdtempSync(path.join(os.tmpdir(), 'generated-'));

describe('npm run roster:generate', () => {
  it('writes the same files for the same seed, and others for another seed', async () => {
    const [a, b, c] = [tempDir(), tempDir(), tempDir()];
    await generateRoster({ users: 500, schools: 5, out: a, seed: 7 });
    await generateRoster({ users: 500, schools: 5, out: b, seed: 7 });
    await generateRoster({ users: 500, schools: 5, out: c, seed: 8 });

    const users = (dir: string) => readFileSync(path.join(dir, 'users.csv'), 'utf8');
    expect(users(a)).toBe(users(b));
    expect(users(a)).not.toBe(users(c));
  });

  it('puts 5 to 8% of users in two or more schools, with students, teachers, staff and administrators', async () => {
    const out = tempDir();
    const result = await generateRoster({ users: 10_000, schools: 20, out, seed: 1 });

    expect(result.multiSchoolUsers / result.users).toBeGreaterThanOrEqual(0.05);
    expect(result.multiSchoolUsers / result.users).toBeLessThanOrEqual(0.08);
    const roles = new Set(readFileSync(path.join(out, 'users.csv'), 'utf8').split('\n').slice(1, -1).map((line) => line.split(',').at(-13)));
    expect([...roles].sort()).toEqual(['administrator', 'aide', 'proctor', 'student', 'teacher']);
  });

  it.each(['1.1', '1.2'] as const)('generates a OneRoster %s district that the sync imports whole, then finds unchanged', async (version) => {
    const out = tempDir();
    const generated = await generateRoster({ users: 2_000, schools: 10, out, seed: 3, version });

    const first = await runRosterSync({ source: out });
    const again = await runRosterSync({ source: out });

    expect(first).toMatchObject({
      status: 'succeeded',
      version,
      users: { ...counts(generated.users), adopted: 0 },
      schools: counts(generated.schools),
      memberships: counts(generated.memberships),
      otherOrgs: 1,
      errorCount: 0,
    });
    expect(again).toMatchObject({ users: counts(0, 0, generated.users), memberships: counts(0, 0, generated.memberships) });
    const multi = await withClient((c) => c.query(`SELECT count(*)::int AS n FROM (SELECT 1 FROM user_schools GROUP BY "userUserId" HAVING count(*) > 1) m`));
    expect(multi.rows[0].n).toBe(generated.multiSchoolUsers);
  });

  it('generates a delta of a share of the users that the sync applies as updates', async () => {
    const bulk = tempDir();
    const delta = tempDir();
    await generateRoster({ users: 2_000, schools: 10, out: bulk, seed: 3 });
    const changed = await generateRoster({ users: 2_000, schools: 10, out: delta, seed: 3, delta: 0.01 });
    await runRosterSync({ source: bulk });

    const summary = await runRosterSync({ source: delta });

    expect(changed.users).toBe(20);
    expect(summary).toMatchObject({ status: 'succeeded', modes: { orgs: 'absent', users: 'delta' }, users: counts(0, 20, 0), memberships: { unchanged: changed.memberships, deleted: 0 } });
  });
});
