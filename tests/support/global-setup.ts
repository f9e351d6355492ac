import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../scripts/free-port';
import { startLocalPostgres, type LocalPostgres } from '../../scripts/local-postgres';
import { prepareTestDatabases } from './databases';

declare global {
  var __testPostgres: LocalPostgres | undefined;
}

/**
 * Listens on 127.0.0.1 only, where the tests connect: with Postgres' default (`localhost`) a port that
 * another process holds on 127.0.0.1 is a warning, the server starts on ::1 alone, and the tests would
 * talk to that other process. A port taken between freePort() and the start fails the start instead, and
 * another port is tried.
 */
async function startOnFreePort(dataDir: string): Promise<LocalPostgres> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startLocalPostgres({
        dataDir,
        port: await freePort(),
        persistent: false,
        postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=300'],
      });
    } catch (error) {
      if (attempt === 3) throw error ?? new Error('The test PostgreSQL server did not start');
    }
  }
}

/**
 * Starts a throwaway PostgreSQL 17 (or uses the server of DATABASE_URL) and prepares one migrated
 * database per Jest worker. Workers inherit TEST_SERVER_URL through the environment.
 */
export default async function globalSetup(): Promise<void> {
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'roster-test-pg-'));
    globalThis.__testPostgres = await startOnFreePort(dataDir);
    serverUrl = globalThis.__testPostgres.serverUrl;
  }
  process.env.TEST_SERVER_URL = serverUrl;
  // Scratch space the workers share for this run (e.g. one `serverless package` output per database mode).
  process.env.TEST_RUN_DIR = mkdtempSync(path.join(os.tmpdir(), 'roster-test-run-'));
  await prepareTestDatabases(serverUrl);
}
