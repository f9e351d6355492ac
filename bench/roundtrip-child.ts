import { performance } from 'node:perf_hooks';
import { pullOneRosterRest } from '../shared/roster/oneroster-rest';
import { runRosterSync } from '../shared/roster/sync';

/**
 * One mirror sync in a process of its own, against DATABASE_URL: the REST pull of a OneRoster base URL
 * (as the sync pulls a district's SIS, page size included), then the import of what it pulled, timed
 * apart; prints the two times, the run's counts and the process's peak RSS as JSON.
 */
async function main(): Promise<void> {
  const [baseUrl, tokenUrl, clientId, clientSecret, districtId] = process.argv.slice(2);
  const started = performance.now();
  const source = await pullOneRosterRest({ baseUrl, tokenUrl, credentials: { clientId, clientSecret }, deployed: false });
  const pulled = performance.now();
  const summary = await runRosterSync({ districtId, rosterSource: source });
  const { errors, ...headline } = summary;
  process.stdout.write(
    JSON.stringify({ ...headline, errors: errors.length, pullMs: pulled - started, importMs: performance.now() - pulled, maxRssKiB: process.resourceUsage().maxRSS }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
