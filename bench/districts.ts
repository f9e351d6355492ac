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

const DISTRICTS = Number(process.env.BENCH_DISTRICTS ?? 20);
const USERS_EACH = Number(process.env.BENCH_USERS_EACH ?? 10_000);
const CONCURRENCY = process.env.ROSTER_SYNC_CONCURRENCY ?? '4';

/** Samples the sync processes' connections every 50 ms while `work` runs (not the bench's own, nor autovacuum's); returns the peak. */
async function peakConnections<T>(url: string, benchPid: number, work: () => Promise<T>): Promise<{ result: T; peak: number }> {
  const probe = new pg.Client({ connectionString: url });
  // The server may stop under an open client when the bench fails; the failure is the one to report.
  probe.on('error', () => {});
  await probe.connect();
  let peak = 0;
  let running = true;
  const sampling = (async () => {
    while (running) {
      const { rows } = await probe.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid() AND pid <> $1`,
        [benchPid],
      );
      peak = Math.max(peak, rows[0].n);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  try {
    return { result: await work(), peak };
  } finally {
    running = false;
    await sampling;
    await probe.end();
  }
}

/** `npm run sync` in a process of its own, as an operator runs it. */
async function syncCli(url: string, args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(__dirname, '../scripts/sync.ts'), ...args], {
    env: { ...process.env, DATABASE_URL: url, ROSTER_SYNC_CONCURRENCY: CONCURRENCY, FUNCTION_TIMEOUT_MS: '900000' },
    maxBuffer: 1 << 26,
  });
  return stdout;
}

/**
 * `npm run bench:districts`: BENCH_DISTRICTS districts of BENCH_USERS_EACH users each (their own emails,
 * the generator's colliding sourcedIds), all due at once and synced by `npm run sync -- --due` with
 * ROSTER_SYNC_CONCURRENCY at a time, against one district of as many users in all, synced by
 * `npm run sync -- --district`. Prints wall times and the peak connections the database saw.
 */
async function main(): Promise<void> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'bench-districts-'));
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-districts-pg-'));
  const server = await startLocalPostgres({ dataDir, port: await freePort(), persistent: false });
  try {
    const url = withDatabase(server.serverUrl, 'bench');
    const admin = new pg.Client({ connectionString: server.serverUrl });
    await admin.connect();
    await admin.query('CREATE DATABASE bench');
    await admin.end();
    await run(process.execPath, ['--import', 'tsx', path.join(__dirname, '../scripts/migrate.ts')], { env: { ...process.env, DATABASE_URL: url } });
    const db = new pg.Client({ connectionString: url });
    db.on('error', () => {});
    await db.connect();
    const benchPid = (await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;

    for (let n = 1; n <= DISTRICTS; n++) {
      const out = path.join(work, `d${n}`);
      await generateRoster({ users: USERS_EACH, schools: 20, out, seed: n, emailDomain: `d${n}.example.org` });
      await db.query(`INSERT INTO districts (name, "rosterSource", "syncSchedule") VALUES ($1, $2, 'rate(1 day)')`, [`District ${n}`, out]);
    }
    const big = path.join(work, 'big');
    await generateRoster({ users: DISTRICTS * USERS_EACH, schools: DISTRICTS * 20, out: big, seed: 1 });

    let started = Date.now();
    const many = await peakConnections(url, benchPid, () =>
      syncCli(url, ['--due']).catch((error: { stdout?: string }) => {
        // The exit code says some district did not succeed; which one and why is in its report.
        return error.stdout ?? '';
      }),
    );
    const manyMs = Date.now() - started;
    const succeeded = many.result.match(/Roster sync succeeded/g)?.length ?? 0;
    if (succeeded !== DISTRICTS) {
      const reasons = many.result.split('\n').filter((line) => /^Roster sync (failed|refused|skipped)|^The sync failed|^This bulk/.test(line));
      throw new Error(`${succeeded} of ${DISTRICTS} districts succeeded:\n${reasons.join('\n')}`);
    }
    const retries = many.result.match(/retries its apply/g)?.length ?? 0;
    const skippedRows = many.result.match(/belongs to another user; this row is skipped/g)?.length ?? 0;
    const engineMs = [...many.result.matchAll(/Roster sync succeeded in ([\d.]+) s/g)].map((m) => Number(m[1]) * 1000);

    await db.query('TRUNCATE users, schools, user_schools, roster_sync_runs, districts CASCADE');
    await db.query('VACUUM ANALYZE');
    const { rows } = await db.query<{ districtId: string }>(`INSERT INTO districts (name, "rosterSource") VALUES ('One big district', $1) RETURNING "districtId"`, [big]);
    started = Date.now();
    const one = await peakConnections(url, benchPid, () => syncCli(url, ['--district', rows[0].districtId]));
    const oneMs = Date.now() - started;
    if (!/Roster sync succeeded/.test(one.result)) throw new Error(one.result);
    await db.end();

    const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    console.log(`${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), load average ${os.loadavg()[0].toFixed(1)}, ROSTER_SYNC_CONCURRENCY=${CONCURRENCY}`);
    console.log(
      `${DISTRICTS} districts x ${USERS_EACH} users, --due: ${seconds(manyMs)} wall (runs ${seconds(Math.min(...engineMs))} to ${seconds(Math.max(...engineMs))} each), ` +
        `peak ${many.peak} connections; ${retries} applies retried after another district's commit; ${skippedRows} rows skipped (userName or email of another district's user, among the first 50 printed per district)`,
    );
    console.log(`1 district x ${DISTRICTS * USERS_EACH} users, --district: ${seconds(oneMs)} wall, peak ${one.peak} connections`);
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
