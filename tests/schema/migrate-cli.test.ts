import { spawn } from 'node:child_process';
import path from 'node:path';
import { migrations } from '../../migrations';
import { appliedMigrations, migrateUp } from '../../shared/db/migrator';
import { openSequelize, recreateDatabase } from '../support/databases';

const ROOT = path.resolve(__dirname, '../..');
const ALL = migrations.map((m) => m.name);
const [LAST, BEFORE_LAST] = [...ALL].reverse();

let url: string;
let sequelize: ReturnType<typeof openSequelize>;

beforeEach(async () => {
  await sequelize?.close();
  url = await recreateDatabase(process.env.TEST_SERVER_URL!, `roster_migrate_cli_${process.env.JEST_WORKER_ID}`);
  sequelize = openSequelize(url);
  await migrateUp(sequelize);
});
afterAll(() => sequelize.close());

type Run = { code: number | null; stdout: string; stderr: string };

/** `npm run migrate -- <args>` against the test's database; on a terminal (through util-linux `script`) when `answer` is given. */
function migrate(args: string[], answer?: string): Promise<Run> {
  const command = [process.execPath, '--import', 'tsx', 'scripts/migrate.ts', ...args];
  const [file, argv] =
    answer === undefined ? [command[0], command.slice(1)] : ['script', ['--quiet', '--return', '--command', command.join(' '), '/dev/null']];
  const child = spawn(file, argv, { cwd: ROOT, env: { ...process.env, DATABASE_URL: url }, stdio: ['pipe', 'pipe', 'pipe'] });
  if (answer === undefined) child.stdin.end();
  else child.stdin.write(`${answer}\n`);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('npm run migrate -- down', () => {
  it('refuses without --yes when not on a terminal, naming what it would revert, and changes nothing', async () => {
    const { code, stdout, stderr } = await migrate(['down']);

    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(stderr).toContain(`This reverts ${LAST} in database "roster_migrate_cli_${process.env.JEST_WORKER_ID}"`);
    expect(stderr).toContain('Add --yes to revert anyway.');
    expect(await appliedMigrations(sequelize)).toEqual(ALL);
  });

  it('reverts only the last applied migration with --yes', async () => {
    const { code, stdout } = await migrate(['down', '--yes']);

    expect({ code, stdout }).toEqual({ code: 0, stdout: `Reverted: ${LAST}\n` });
    expect(await appliedMigrations(sequelize)).toEqual(ALL.slice(0, -1));
  });

  it('reverts down to and including the migration --to names, or all of them with --to 0', async () => {
    expect(await migrate(['down', '--to', BEFORE_LAST, '--yes'])).toMatchObject({ code: 0, stdout: `Reverted: ${LAST}, ${BEFORE_LAST}\n` });
    expect(await appliedMigrations(sequelize)).toEqual(ALL.slice(0, -2));

    expect(await migrate(['down', '--to', '0', '--yes'])).toMatchObject({ code: 0, stdout: `Reverted: ${ALL.slice(0, -2).reverse().join(', ')}\n` });
    expect(await appliedMigrations(sequelize)).toEqual([]);
  });

  it('refuses a --to that names no applied migration, and changes nothing', async () => {
    const { code, stderr } = await migrate(['down', '--to', '9999-nothing', '--yes']);

    expect(code).toBe(1);
    expect(stderr).toContain('--to 9999-nothing: no applied migration has that name');
    expect(await appliedMigrations(sequelize)).toEqual(ALL);
  });

  it('on a terminal, reverts when the answer is yes and nothing otherwise', async () => {
    const refused = await migrate(['down'], 'no');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(`This reverts ${LAST} in database`);
    expect(refused.stdout).toContain('Nothing reverted.');
    expect(await appliedMigrations(sequelize)).toEqual(ALL);

    const accepted = await migrate(['down'], 'yes');
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toContain(`Reverted: ${LAST}`);
    expect(await appliedMigrations(sequelize)).toEqual(ALL.slice(0, -1));
  });
});
