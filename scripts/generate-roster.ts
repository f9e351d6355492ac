import { parseArgs } from 'node:util';
import { generateRoster } from './roster-generator';

const USAGE = 'Usage: npm run roster:generate -- --users N --schools M --out DIR [--seed S] [--version 1.1|1.2] [--delta FRACTION]';

/** `npm run roster:generate`: writes a deterministic district roster for tests, benchmarks and trying the sync. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      users: { type: 'string' },
      schools: { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string', default: '1' },
      version: { type: 'string', default: '1.1' },
      delta: { type: 'string' },
    },
  });
  const users = Number(values.users);
  const schools = Number(values.schools);
  const seed = Number(values.seed);
  const delta = values.delta === undefined ? undefined : Number(values.delta);
  const out = values.out;
  const valid =
    Number.isInteger(users) && users >= 0 && Number.isInteger(schools) && schools >= 1 && out &&
    Number.isInteger(seed) && (values.version === '1.1' || values.version === '1.2') &&
    (delta === undefined || (delta > 0 && delta <= 1));
  if (!valid) throw new Error(USAGE);
  const started = Date.now();
  const result = await generateRoster({ users, schools, out, seed, version: values.version as '1.1' | '1.2', delta });
  console.log(
    `Wrote ${values.out}: OneRoster ${values.version}${delta ? ' delta' : ''}, ${result.users} users, ${result.schools} schools, ` +
      `${result.memberships} memberships (${result.multiSchoolUsers} users in several schools) in ${Date.now() - started} ms`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
