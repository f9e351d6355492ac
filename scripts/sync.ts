import { parseArgs } from 'node:util';
import { runRosterSync } from '../shared/roster/sync';
import type { EntityCounts, SyncProgress, SyncSummary } from '../shared/roster/types';

const USAGE = 'Usage: npm run sync -- <folder | file.zip | s3://bucket/prefix/ | s3://bucket/key.zip> [--force]';

/** Exit codes: a run that applied nothing is not a success for a script or a CI job that runs it. */
const EXIT_CODES = { succeeded: 0, failed: 1, refused: 2, skipped: 3 } as const;

/** A one-line progress display on a terminal: the phase, rows read, rows per second. */
function progressDisplay(): (progress: SyncProgress) => void {
  const out = process.stderr;
  if (!out.isTTY) return () => {};
  const started = Date.now();
  return ({ phase, rows }) => {
    if (phase === 'done') {
      out.write('\r\x1b[2K');
      return;
    }
    const seconds = (Date.now() - started) / 1000;
    const rate = seconds > 0 ? Math.round(rows / seconds) : 0;
    out.write(`\r\x1b[2K${phase}: ${rows.toLocaleString('en')} rows, ${rate.toLocaleString('en')} rows/s, ${seconds.toFixed(1)} s`);
  };
}

function table(summary: SyncSummary): string {
  const columns: (keyof EntityCounts)[] = ['created', 'updated', 'unchanged', 'deleted', 'restored'];
  const rows: [string, EntityCounts][] = [['users', summary.users], ['schools', summary.schools], ['memberships', summary.memberships]];
  const width = 11;
  const line = (label: string, cells: (string | number)[]) => label.padEnd(13) + cells.map((c) => String(c).padStart(width)).join('');
  return [line('', columns), ...rows.map(([label, counts]) => line(label, columns.map((c) => counts[c])))].join('\n');
}

const MAX_PRINTED_ERRORS = 50;

function report(summary: SyncSummary): string {
  const lines = [
    `Roster sync ${summary.status} in ${(summary.durationMs / 1000).toFixed(1)} s` +
      (summary.version ? ` (OneRoster ${summary.version}; orgs ${summary.modes!.orgs}, users ${summary.modes!.users}, roles ${summary.modes!.roles})` : '') +
      (summary.runId ? `, run ${summary.runId}` : ''),
  ];
  if (summary.reason) lines.push(summary.reason);
  if (summary.status === 'succeeded' || summary.status === 'refused') {
    lines.push('', table(summary), '');
    if (summary.users.adopted) lines.push(`Users adopted by email: ${summary.users.adopted}`);
    lines.push(`Orgs that are not schools, skipped: ${summary.otherOrgs}; memberships in them, skipped: ${summary.otherOrgMemberships}`);
    lines.push(`Rows reported: ${summary.errorCount}`);
    for (const e of summary.errors.slice(0, MAX_PRINTED_ERRORS)) lines.push(`  ${e.file}:${e.line} ${e.column}: ${e.message}`);
    if (summary.errorCount > MAX_PRINTED_ERRORS) {
      lines.push(`  ... and ${summary.errorCount - MAX_PRINTED_ERRORS} more (the first ${summary.errors.length} are in roster_sync_runs.summary)`);
    }
  }
  return lines.join('\n');
}

/** `npm run sync -- <source> [--force]`: one roster sync against DATABASE_URL, as the scheduled function runs it. */
async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ options: { force: { type: 'boolean', default: false } }, allowPositionals: true });
  if (positionals.length > 1) {
    console.error(USAGE);
    return 1;
  }
  // The run opens and ends its own connection, with no statement timeout here (shared/config.ts).
  const summary = await runRosterSync({ source: positionals[0], force: values.force, onProgress: progressDisplay() });
  console.log(report(summary));
  return EXIT_CODES[summary.status];
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
