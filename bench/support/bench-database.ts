import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { withDatabase } from '../../scripts/database-url';
import { openSequelize, recreateDatabase } from '../../scripts/databases';
import { freePort } from '../../scripts/free-port';
import { startLocalPostgres, type LocalPostgres } from '../../scripts/local-postgres';

const BENCH_DATABASE = 'roster_bench';

/**
 * Runs a benchmark against a fresh, empty `roster_bench` database: on the server DATABASE_URL names (the
 * database is dropped afterwards), or else on a throwaway embedded PostgreSQL (stopped and removed).
 */
export async function withBenchDatabase(run: (url: string) => Promise<void>): Promise<void> {
  let server: LocalPostgres | undefined;
  let dataDir: string | undefined;
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'roster-bench-pg-'));
    server = await startLocalPostgres({ dataDir, port: await freePort(), persistent: false });
    serverUrl = server.serverUrl;
  }
  try {
    await run(await recreateDatabase(withDatabase(serverUrl, 'postgres'), BENCH_DATABASE));
  } finally {
    if (server) {
      await server.stop();
    } else {
      const sequelize = openSequelize(withDatabase(serverUrl, 'postgres'));
      await sequelize.query(`DROP DATABASE IF EXISTS ${BENCH_DATABASE} WITH (FORCE)`);
      await sequelize.close();
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}
