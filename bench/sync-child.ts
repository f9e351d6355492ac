import { runRosterSync } from '../shared/roster/sync';

/** One sync run in a process of its own (the run opens and ends its own connection), reporting its summary and the process's peak RSS as JSON. */
async function main(): Promise<void> {
  const summary = await runRosterSync({ source: process.argv[2], force: process.argv.includes('--force') });
  const { errors, ...headline } = summary;
  process.stdout.write(JSON.stringify({ ...headline, errors: errors.length, maxRssKiB: process.resourceUsage().maxRSS }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
