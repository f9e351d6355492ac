import pg from 'pg';
import { config } from '../config';
import { logger } from '../logger';
import { configuredCredentials, type CredentialsProvider, type DbCredentials } from './credentials';
import { tlsOptions } from './tls';

/** The client-side read timeout's margin over the server's statement timeout, as for the API's pool. */
const READ_TIMEOUT_MARGIN_MS = 1000;
/** A peer that vanished without a reset is noticed by TCP keepalive after this much silence. */
const KEEPALIVE_DELAY_MS = 10_000;

let credentials: CredentialsProvider | undefined;
let credentialsChosen = false;

/** The configured provider, chosen once per container as the API's pool chooses its own. */
function syncCredentials(): CredentialsProvider | undefined {
  if (!credentialsChosen) {
    credentials = configuredCredentials();
    credentialsChosen = true;
  }
  return credentials;
}

/** Where to connect: the URL as pg reads it, or its parts with the provider's user and password. */
function connectionTarget(login: DbCredentials | undefined): pg.ClientConfig {
  const db = config.database;
  if (db.url && !login) return { connectionString: db.url };
  // pg lets a connection string's (empty) password win over `password`, so the URL is taken apart.
  const url = db.url ? new URL(db.url) : undefined;
  return {
    host: url ? decodeURIComponent(url.hostname) : db.host,
    port: url?.port ? Number(url.port) : db.port,
    database: url ? decodeURIComponent(url.pathname.slice(1)) : db.name,
    user: login?.user ?? (url ? decodeURIComponent(url.username) : db.user),
    password: login?.password,
  };
}

/**
 * Opens the roster sync's own connection, outside the API's pool: COPY, the run's
 * transaction and its session lock need one session for the whole run, and its statement and read
 * timeouts are the sync's budget (`config.roster.syncTimeoutMs`: the sync function's timeout less its
 * wrap-up when deployed, none for `npm run sync`), not the API's few seconds. The caller ends it.
 * @throws pg's error when the server cannot be reached or refuses the login.
 */
export async function openSyncConnection(): Promise<pg.Client> {
  const db = config.database;
  const provider = syncCredentials();
  const timeoutMs = config.roster.syncTimeoutMs;
  const client = new pg.Client({
    ...connectionTarget(await provider?.get()),
    application_name: 'school-roster-sync',
    connectionTimeoutMillis: db.connectTimeoutMs,
    // Startup parameters rather than SET statements, as for the API's pool; 0 sends none (no limit).
    statement_timeout: timeoutMs || undefined,
    query_timeout: timeoutMs ? timeoutMs + READ_TIMEOUT_MARGIN_MS : undefined,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEPALIVE_DELAY_MS,
    ...(db.ssl ? { ssl: tlsOptions() } : {}),
  });
  // pg emits 'error' when the session ends between two statements (a failover, pg_terminate_backend
  // while the run reads its source); unheard, that would crash the process. The run's next statement
  // fails instead, and the run is recorded as failed.
  client.on('error', (error) => logger.warn('roster sync connection lost', error));
  try {
    await client.connect();
  } catch (error) {
    // A rotated password: the next run fetches it again.
    if ((error as { code?: unknown }).code === '28P01') provider?.invalidate();
    throw error;
  }
  return client;
}
