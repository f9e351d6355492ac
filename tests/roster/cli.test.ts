import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { getSequelize } from '../../shared/db/sequelize';
import { runRosterSync } from '../../shared/roster/sync';
import { withClient } from '../support/db';
import { createDistrict } from '../support/districts';
import { resetRoster, roster11, smallDistrict11, snapshot, writeRoster, type User11 } from '../support/roster';

const ROOT = path.resolve(__dirname, '../..');

afterAll(() => getSequelize().close());
beforeEach(resetRoster);

function startSync(args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  // One process (not the tsx wrapper and its child), so that killing it kills the sync.
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/sync.ts', ...args], { cwd: ROOT, env: { ...process.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done };
}

const runCli = (args: string[]) => startSync(args).done;

describe('npm run sync', () => {
  it('exits 0 and prints a summary table when the run succeeds', async () => {
    const { orgs, users } = smallDistrict11();
    users.push({ sourcedId: 'u-9', givenName: '', orgs: ['sch-1'] });

    const { code, stdout } = await runCli([writeRoster(roster11(orgs, users))]);

    expect(code).toBe(0);
    expect(stdout).toMatch(/^Roster sync succeeded in \d+\.\d s \(OneRoster 1\.1; orgs bulk, users bulk, roles absent\), run [0-9a-f-]{36}, district [0-9a-f-]{36}\n/);
    expect(stdout).toContain(
      [
        '                 created    updated  unchanged    deleted   restored',
        'users                  4          0          0          0          0',
        'schools                2          0          0          0          0',
        'memberships            5          0          0          0          0',
      ].join('\n'),
    );
    expect(stdout).toContain('Rows reported: 1\n  users.csv:6 givenName: givenName is required\n');
  });

  it('exits 1 with the reason when the roster is rejected', async () => {
    const dir = writeRoster({ 'users.csv': 'sourcedId\n' });

    const { code, stdout } = await runCli([dir]);

    expect(code).toBe(1);
    expect(stdout).toContain(`Roster sync failed in`);
    expect(stdout).toContain(`manifest.csv is missing from ${dir}`);
  });

  it('exits 2 when the delete-ratio safety refuses the run, and applies it with --force', async () => {
    const users: User11[] = Array.from({ length: 10 }, (_, i) => ({ sourcedId: `u-${i}`, givenName: `G${i}` }));
    await runRosterSync({ source: writeRoster(roster11([], users)) });
    const smaller = writeRoster(roster11([], users.slice(2)));

    const refused = await runCli([smaller]);
    const forced = await runCli([smaller, '--force']);

    expect(refused.code).toBe(2);
    expect(refused.stdout).toContain('This bulk run would delete 2 of 10 live roster users (20%)');
    expect(forced.code).toBe(0);
  });
});

describe('npm run sync with districts', () => {
  it('syncs the district named by --district, and refuses to guess among several', async () => {
    const a = await createDistrict('Alpha');
    await createDistrict('Beta');
    const { orgs, users } = smallDistrict11();
    const source = writeRoster(roster11(orgs, users));

    const unnamed = await runCli([source]);
    const named = await runCli(['--district', a, source]);

    expect(unnamed.code).toBe(1);
    expect(unnamed.stdout).toContain('This deployment has several districts: name the one to sync (npm run sync -- --district <id> <source>, or districtId in the event).');
    expect(named.code).toBe(0);
    expect(named.stdout).toContain(`, district ${a}\n`);
    const identities = await withClient((c) => c.query(`SELECT DISTINCT "districtId" FROM user_roster_identities`));
    expect(identities.rows).toEqual([{ districtId: a }]);
  });

  it('--due syncs every enabled district with a source and a schedule, each on its own, and no other', async () => {
    const { orgs, users } = smallDistrict11();
    const good = await createDistrict('Alpha', { rosterSource: writeRoster(roster11(orgs, users)), syncSchedule: 'rate(1 day)' });
    const broken = await createDistrict('Beta', { rosterSource: writeRoster({ 'users.csv': 'sourcedId\n' }), syncSchedule: 'cron(0 4 * * ? *)' });
    const disabled = await createDistrict('Gamma', { rosterSource: writeRoster(roster11(orgs, users)), syncSchedule: 'rate(1 day)' });
    await withClient((c) => c.query('UPDATE districts SET enabled = false WHERE "districtId" = $1', [disabled]));
    await createDistrict('Delta', { rosterSource: writeRoster(roster11(orgs, users)) });

    const { code, stdout } = await runCli(['--due']);

    // The failed district is reported and fails the exit code; the other one synced regardless.
    expect(code).toBe(1);
    expect(stdout).toContain('2 district(s) due; up to 4 at once.');
    expect(stdout).toMatch(new RegExp(`District ${good}:\nRoster sync succeeded`));
    expect(stdout).toMatch(new RegExp(`District ${broken}:\nRoster sync failed`));
    const runs = await withClient((c) => c.query(`SELECT "districtId", status FROM roster_sync_runs ORDER BY status`));
    expect(runs.rows).toEqual([{ districtId: broken, status: 'failed' }, { districtId: good, status: 'succeeded' }]);
  });
});

describe('a sync process killed mid-apply', () => {
  afterEach(() => withClient((c) => c.query('DROP TRIGGER IF EXISTS park_users ON users; DROP FUNCTION IF EXISTS park_users();')));

  it('leaves the database as it was, and the next run records it as interrupted', async () => {
    const { orgs, users } = smallDistrict11();
    await runRosterSync({ source: writeRoster(roster11(orgs, users.slice(0, 2))) });
    const before = await snapshot();
    // Parks the run inside its transaction, after it has written schools and while it inserts users.
    await withClient((c) => c.query(`
      CREATE FUNCTION park_users() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(60); RETURN NULL; END $$;
      CREATE TRIGGER park_users AFTER INSERT ON users FOR EACH STATEMENT EXECUTE FUNCTION park_users();`));
    orgs.push({ sourcedId: 'sch-9', name: 'Added School' });
    const { child, done } = startSync([writeRoster(roster11(orgs, users)), '--force']);
    const parkedBackend = async () =>
      withClient(async (c) => (await c.query(`SELECT pid FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND datname = current_database()`)).rows[0]?.pid as number | undefined);
    let pid: number | undefined;
    for (let i = 0; i < 200 && !pid; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      pid = await parkedBackend();
    }
    expect(pid).toBeDefined();

    child.kill('SIGKILL');
    await done;
    // The server notices the dead client (client_connection_check_interval) and rolls the run back.
    for (let i = 0; i < 100 && (await parkedBackend()); i++) await new Promise((resolve) => setTimeout(resolve, 100));

    expect(await parkedBackend()).toBeUndefined();
    expect(await snapshot()).toEqual(before);
    await withClient((c) => c.query('DROP TRIGGER park_users ON users'));
    const next = await runRosterSync({ source: writeRoster(roster11(orgs, users)), force: true });
    expect(next.status).toBe('succeeded');
    const runs = await withClient((c) => c.query(`SELECT status FROM roster_sync_runs ORDER BY "startedAt"`));
    expect(runs.rows.map((r) => r.status)).toEqual(['succeeded', 'interrupted', 'succeeded']);
  });
});
