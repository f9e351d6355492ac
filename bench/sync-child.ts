import { runRosterSync } from '../shared/roster/sync';

/**
 * One sync run in a process of its own (the run opens and ends its own connection), reporting its summary,
 * how long it took to stage the files (from the start to the apply phase) and the process's peak RSS as JSON.
 */
async function main(): Promise<void> {
  const started = Date.now();
  let stagedMs = 0;
  const summary = await runRosterSync({
    source: process.argv[2],
    force: process.argv.includes('--force'),
    onProgress: ({ phase }) => {
      if (phase === 'applying') stagedMs = Date.now() - started;
    },
  });
  const { errors, ...headline } = summary;
  process.stdout.write(JSON.stringify({ ...headline, errors: errors.length, stagedMs, maxRssKiB: process.resourceUsage().maxRSS }));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
