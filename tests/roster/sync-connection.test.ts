import { spawn } from 'node:child_process';
import path from 'node:path';
import { loadConfig } from '../../shared/config';
import { withClient } from '../support/db';
import { counts, resetRoster, roster11, smallDistrict11, snapshot, writeRoster } from '../support/roster';

const ROOT = path.resolve(__dirname, '../..');

/** `npm run sync -- <args>` as an operator runs it: the test worker's DATABASE_URL, no other variable. */
function runCli(args: string[]): Promise<{ code: number | null; stdout: string }> {
  const env = { ...process.env };
  for (const name of ['FUNCTION_TIMEOUT_MS', 'DB_STATEMENT_TIMEOUT_MS', 'ROSTER_SYNC_TIMEOUT_MS']) delete env[name];
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/sync.ts', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout })));
}

/** Makes every insert into `schools` (one statement per run) take `seconds`. */
const slowSchools = (seconds: number) =>
  withClient((c) =>
    c.query(`
      CREATE FUNCTION slow_schools() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(${seconds}); RETURN NULL; END $$;
      CREATE TRIGGER slow_schools AFTER INSERT ON schools FOR EACH STATEMENT EXECUTE FUNCTION slow_schools();`),
  );

beforeEach(resetRoster);
afterEach(() => withClient((c) => c.query('DROP TRIGGER IF EXISTS slow_schools ON schools; DROP FUNCTION IF EXISTS slow_schools();')));

describe('the sync connection', () => {
  it('lets `npm run sync` run a statement that outlasts the HTTP functions\' 10 s timeout, with no extra variable', async () => {
    // The HTTP functions' defaults: a 5 s statement timeout and a 10 s function timeout (shared/config.ts).
    await slowSchools(10.5);
    const { orgs, users } = smallDistrict11();

    const { code, stdout } = await runCli([writeRoster(roster11(orgs, users))]);

    expect(stdout).toMatch(/^Roster sync succeeded in \d+\.\d s/);
    expect(Number(/in (\d+\.\d) s/.exec(stdout)?.[1])).toBeGreaterThanOrEqual(10.5);
    expect(code).toBe(0);
    expect((await snapshot()).users).toHaveLength(users.length);
  }, 90_000);

  it('stops a statement that outlasts ROSTER_SYNC_TIMEOUT_MS, changes nothing and records the failure', async () => {
    await slowSchools(3);
    const { orgs, users } = smallDistrict11();
    let runRosterSync!: typeof import('../../shared/roster/sync').runRosterSync;
    process.env.ROSTER_SYNC_TIMEOUT_MS = '500';
    try {
      jest.isolateModules(() => {
        ({ runRosterSync } = require('../../shared/roster/sync'));
      });
    } finally {
      delete process.env.ROSTER_SYNC_TIMEOUT_MS;
    }

    const summary = await runRosterSync({ source: writeRoster(roster11(orgs, users)) });

    expect(summary).toMatchObject({
      status: 'failed',
      reason: 'The sync failed and changed nothing: canceling statement due to statement timeout',
      users: counts(),
      schools: counts(),
    });
    expect(await snapshot()).toMatchObject({ users: [], schools: [] });
    const runs = await withClient((c) => c.query(`SELECT status FROM roster_sync_runs`));
    expect(runs.rows).toEqual([{ status: 'failed' }]);
  });
});

describe('the sync timeout in the configuration', () => {
  const base = { DATABASE_URL: 'postgres://roster@localhost:5432/roster' };
  const inLambda = { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x' };

  it('is none for a local run such as `npm run sync`, whatever the HTTP functions\' timeout', () => {
    expect(loadConfig({ ...base }).roster.syncTimeoutMs).toBe(0);
    expect(loadConfig({ ...base, FUNCTION_TIMEOUT_MS: '10000' }).roster.syncTimeoutMs).toBe(0);
  });

  it('is the sync function\'s timeout less 10 s of wrap-up when deployed', () => {
    expect(loadConfig({ ...base, ...inLambda, FUNCTION_TIMEOUT_MS: '900000' }).roster.syncTimeoutMs).toBe(890_000);
  });

  it('is ROSTER_SYNC_TIMEOUT_MS when set, 0 meaning none', () => {
    expect(loadConfig({ ...base, ...inLambda, FUNCTION_TIMEOUT_MS: '900000', ROSTER_SYNC_TIMEOUT_MS: '60000' }).roster.syncTimeoutMs).toBe(60_000);
    expect(loadConfig({ ...base, ROSTER_SYNC_TIMEOUT_MS: '0' }).roster.syncTimeoutMs).toBe(0);
  });
});
