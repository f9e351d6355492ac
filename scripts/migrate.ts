import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import type { Sequelize } from 'sequelize';
import { appliedMigrations, migrateDown, migrateUp } from '../shared/db/migrator';
import { getSequelize } from '../shared/db/sequelize';

const USAGE = `Usage:
  npm run migrate                                   apply the pending migrations to DATABASE_URL
  npm run migrate -- down [--to <name> | --to 0] [--yes]
      revert the last applied migration; --to <name>: down to and including <name>; --to 0: all of them.
      Asks for confirmation on a terminal; anywhere else it needs --yes.`;

/** Thrown for a command line this script refuses; its message is the whole answer. */
class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * The migrations `down` would revert, newest first: the last applied one unless `to` names one (down to
 * and including it) or is '0' (all). One by default, as `sequelize-cli db:migrate:undo` does: undoing the
 * last deploy's change is the common case, and emptying a database should take a word that says so.
 */
function toRevert(applied: string[], to: string | undefined): string[] {
  const newestFirst = [...applied].reverse();
  if (to === undefined) return newestFirst.slice(0, 1);
  if (to === '0') return newestFirst;
  const index = newestFirst.indexOf(to);
  if (index < 0) throw new UsageError(`--to ${to}: no applied migration has that name (applied: ${applied.join(', ') || 'none'})`);
  return newestFirst.slice(0, index + 1);
}

/** Where the statements would go, without the user or password. */
function target(sequelize: Sequelize): string {
  const { database, host, port } = sequelize.config;
  return `database "${database}" on ${host}:${port}`;
}

async function confirmed(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return (await prompt.question(`${question} Type yes to go on: `)).trim().toLowerCase() === 'yes';
  } finally {
    prompt.close();
  }
}

async function down(sequelize: Sequelize, to: string | undefined, yes: boolean): Promise<void> {
  const names = toRevert(await appliedMigrations(sequelize), to);
  if (names.length === 0) {
    console.log('Reverted: nothing (no migration is applied)');
    return;
  }
  const question = `This reverts ${names.join(', ')} in ${target(sequelize)}, dropping what they created.`;
  if (!yes) {
    if (!process.stdin.isTTY) throw new UsageError(`${question}\nRefused: not on a terminal, so nobody confirmed it. Add --yes to revert anyway.`);
    if (!(await confirmed(question))) throw new UsageError('Nothing reverted.');
  }
  console.log(`Reverted: ${(await migrateDown(sequelize, names.at(-1))).join(', ')}`);
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { to: { type: 'string' }, yes: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const [command = 'up', ...rest] = positionals;
  if (rest.length > 0 || (command !== 'up' && command !== 'down')) throw new UsageError(USAGE);
  if (command === 'up' && (values.to !== undefined || values.yes)) throw new UsageError(`--to and --yes are for down.\n${USAGE}`);
  const sequelize = getSequelize();
  try {
    if (command === 'down') await down(sequelize, values.to, values.yes);
    else console.log(`Applied: ${(await migrateUp(sequelize)).join(', ') || 'nothing pending'}`);
  } finally {
    await sequelize.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
