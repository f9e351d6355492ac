import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { config } from '../shared/config';
import { getSequelize } from '../shared/db/sequelize';
import { listScheduledDistricts } from '../shared/roster/dispatch';
import { runRosterSync } from '../shared/roster/sync';
import type { EntityCounts, RunStatus, SyncProgress, SyncSummary } from '../shared/roster/types';

const USAGE = [
  'Usage: npm run sync -- [--district <id>] [<folder | file.zip | s3://bucket/prefix/ | s3://bucket/key.zip>] [--force]',
  '       npm run sync -- --due',
].join('\n');

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
      (summary.version && summary.modes ? ` (OneRoster ${summary.version}; orgs ${summary.modes.orgs}, users ${summary.modes.users}, roles ${summary.modes.roles})` : '') +
      (summary.runId ? `, run ${summary.runId}` : '') +
      (summary.districtId ? `, district ${summary.districtId}` : ''),
  ];
  if (summary.reason) lines.push(summary.reason);
  if (summary.status === 'succeeded' || summary.status === 'refused') {
    lines.push('', table(summary), '');
    if (summary.users.adopted) lines.push(`Users adopted by email: ${summary.users.adopted}`);
    if (summary.users.released) lines.push(`Users let go who stay (another district holds them, or the API made them): ${summary.users.released}`);
    lines.push(`Orgs that are not schools, skipped: ${summary.otherOrgs}; memberships in them, skipped: ${summary.otherOrgMemberships}`);
    lines.push(`Rows reported: ${summary.errorCount}`);
    for (const e of summary.errors.slice(0, MAX_PRINTED_ERRORS)) lines.push(`  ${e.file}:${e.line} ${e.column}: ${e.message}`);
    if (summary.errorCount > MAX_PRINTED_ERRORS) {
      lines.push(`  ... and ${summary.errorCount - MAX_PRINTED_ERRORS} more (the first ${summary.errors.length} are in roster_sync_runs.summary)`);
    }
    if (summary.noteCount) {
      lines.push(`Fields another district supplies, differing here (theirs kept): ${summary.noteCount}`);
      for (const n of summary.notes.slice(0, MAX_PRINTED_ERRORS)) lines.push(`  ${n.file}:${n.line} ${n.column}: ${n.message}`);
    }
  }
  return lines.join('\n');
}

/** The worst of several runs' statuses decides the exit code of `--due`. */
const SEVERITY: RunStatus[] = ['succeeded', 'skipped', 'refused', 'failed'];

/**
 * `npm run sync -- --due`: every enabled district with a roster source and a schedule, synced now, each
 * in a process of its own as each has an invocation of its own in AWS, at most ROSTER_SYNC_CONCURRENCY
 * at once. A district that fails or takes long holds up no other beyond that bound.
 */
async function syncDueDistricts(): Promise<number> {
  const districts = await listScheduledDistricts();
  await getSequelize().close();
  console.log(`${districts.length} district(s) due; up to ${config.roster.syncConcurrency} at once.`);
  const codes: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < districts.length) {
      const districtId = districts[next++];
      const { code, output } = await syncInChild(districtId);
      console.log(`\nDistrict ${districtId}:\n${output.trimEnd()}`);
      codes.push(code);
    }
  };
  await Promise.all(Array.from({ length: Math.min(config.roster.syncConcurrency, districts.length) }, worker));
  return codes.reduce((worst, code) => (SEVERITY.indexOf(statusOf(code)) > SEVERITY.indexOf(statusOf(worst)) ? code : worst), 0);
}

function statusOf(code: number): RunStatus {
  return (Object.entries(EXIT_CODES).find(([, value]) => value === code)?.[0] as RunStatus | undefined) ?? 'failed';
}

function syncInChild(districtId: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, __filename, '--district', districtId], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

/**
 * `npm run sync -- [--district <id>] [<source>] [--force]`: one roster sync against DATABASE_URL, as the
 * scheduled function runs it. Without --district, the deployment's only district (docs/districts.md).
 */
async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: { force: { type: 'boolean', default: false }, district: { type: 'string' }, due: { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  if (positionals.length > 1 || (values.due && (positionals.length > 0 || values.district || values.force))) {
    console.error(USAGE);
    return 1;
  }
  if (values.due) return syncDueDistricts();
  // The run opens and ends its own connection, with no statement timeout here (shared/config.ts).
  const summary = await runRosterSync({ districtId: values.district, source: positionals[0], force: values.force, onProgress: progressDisplay() });
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
