import { AsyncLocalStorage } from 'node:async_hooks';
import { ConnectionError, QueryTypes, Sequelize, type Options, type PoolOptions } from 'sequelize';
import { config } from '../config';
import { DeadlineExceededError } from '../errors';
import { initModels } from '../models/associations';
import { cancelRunningStatement } from './cancel-request';
import { pgWithErrorListeners } from './client-error-listener';
import { configuredCredentials, type CredentialsProvider } from './credentials';
import { onPoolRelease } from './pool-release-hook';
import { isPoolClosed, reopenPool } from './reopen-closed-pool';
import { retryOptions } from './retry';
import { tlsOptions } from './tls';
import { MINIMUM_SERVER_VERSION } from './server-version';

type Models = ReturnType<typeof initModels> & { sequelize: Sequelize };

let models: Models | undefined;

interface InvocationScope {
  /** The connections the invocation has checked out of the pool and not yet given back (the dialect's `pg` clients). */
  checkouts: Set<object>;
  /** Set once the invocation's end has released its connections: work it abandoned may take no other. */
  ended: boolean;
}

/**
 * Per invocation, not per container: Lambda runs one invocation at a time, but serverless-offline may
 * run several at once.
 */
const invocationScope = new AsyncLocalStorage<InvocationScope>();
/** Connections the pool holds open, counted by Sequelize's connect and disconnect hooks. */
let openConnectionCount = 0;
let lastInvocationEnd = 0;

/**
 * Below this idle time a pooled connection is trusted as it is; above it (the container may have been
 * frozen) it is checked with one round trip before use, as HikariCP's aliveBypassWindow does (500 ms).
 */
const TRUST_IDLE_CONNECTION_MS = 1000;

/** RDS Proxy's IdleClientTimeout (900 s): how long a provisioned environment's pool keeps an idle connection. */
const PROVISIONED_IDLE_MS = 900_000;

function poolOptions(): PoolOptions {
  const db = config.database;
  if (db.poolMode === 'per-invocation') {
    // Sequelize's AWS Lambda guidance: nothing idles between invocations, and a connection left by an
    // invocation that timed out is evicted after one function timeout.
    return { max: 2, min: 0, idle: 0, acquire: db.acquireTimeoutMs, evict: db.functionTimeoutMs };
  }
  // One warm container serves one request at a time; max 2 leaves room for a transaction plus a read.
  // min 0 lets an idle container hold nothing once the server's idle_session_timeout has closed it.
  // A provisioned environment opened its connection during init to keep it for its first request, which
  // may come long after: the pool keeps it as long as RDS Proxy does (infra/database-create.yml).
  const idle = config.lambda.provisioned ? PROVISIONED_IDLE_MS : 60_000;
  return { max: db.poolMax, min: 0, idle, acquire: db.acquireTimeoutMs, evict: 1_000 };
}

/**
 * Creates the container's Sequelize instance. `credentials` replaces the configured provider (tests
 * inject one; in AWS it is the Secrets Manager or IAM provider of `DB_AUTH`).
 */
function createModels(credentials: CredentialsProvider | undefined = configuredCredentials()): Models {
  const db = config.database;
  // keepDefaultTimezone and databaseVersion are read by Sequelize but missing from its Options type.
  const options: Options & { keepDefaultTimezone: boolean; databaseVersion: string } = {
    dialect: 'postgres',
    // Bundlers cannot follow Sequelize's dynamic require('pg'); hand it the module, with clients that
    // listen for 'error' from the start (./client-error-listener).
    dialectModule: pgWithErrorListeners,
    // Without it Sequelize opens one extra connection on first use just to ask the server's version; the
    // supported floor, which the migrations check against the real server, is what it may assume.
    databaseVersion: MINIMUM_SERVER_VERSION,
    logging: db.logSql ? (sql) => console.debug(sql) : false,
    benchmark: false,
    pool: poolOptions(),
    retry: retryOptions(() => credentials?.invalidate()),
    // No per-connection SET statements: they pin RDS Proxy connections. The server keeps UTC.
    keepDefaultTimezone: true,
    dialectOptions: {
      clientMinMessages: 'ignore',
      application_name: 'school-roster',
      connectionTimeoutMillis: db.connectTimeoutMs,
      // Sent in the startup packet, not as a SET, so it does not pin RDS Proxy either.
      statement_timeout: db.statementTimeoutMs,
      // The client-side bound: a socket that went silent (not reset) fails here instead of hanging.
      query_timeout: db.statementTimeoutMs + 1000,
      keepAlive: true,
      ...(db.ssl ? { ssl: tlsOptions() } : {}),
    },
    hooks: credentials
      ? {
          beforeConnect: async (connectionConfig) => {
            // Secrets Manager or the signer out of reach is the database out of reach: a 503, not a 500.
            const { user, password } = await credentials.get().catch((error: Error) => {
              throw new ConnectionError(error);
            });
            if (user) connectionConfig.username = user;
            connectionConfig.password = password;
          },
        }
      : {},
  };
  const instance = db.url
    ? new Sequelize(db.url, options)
    : new Sequelize(db.name, db.user ?? '', undefined, { ...options, host: db.host, port: db.port });
  trackConnections(instance);
  return { ...initModels(instance), sequelize: instance };
}

/**
 * Records which connections an invocation holds, so that its end can release what is left, and how many
 * the pool holds open, so that an invocation after a freeze knows whether one may have died meanwhile.
 */
function trackConnections(instance: Sequelize): void {
  instance.addHook('afterConnect', () => {
    openConnectionCount++;
  });
  instance.addHook('afterDisconnect', () => {
    openConnectionCount--;
  });
  // Abandoned work outlives its invocation: a read whose connection the end destroyed is retried by
  // Sequelize (./retry), and a connection being opened at the deadline arrives later. Either would run a
  // statement on a connection nobody releases, up to statement_timeout; it fails here instead.
  instance.addHook('beforePoolAcquire', () => {
    if (invocationScope.getStore()?.ended) throw new DeadlineExceededError();
  });
  instance.addHook('afterPoolAcquire', async (connection) => {
    const scope = invocationScope.getStore();
    if (scope?.ended) {
      await instance.connectionManager.destroyConnection(connection).catch(() => undefined);
      throw new DeadlineExceededError();
    }
    scope?.checkouts.add(connection);
  });
  onPoolRelease(instance, (connection) => invocationScope.getStore()?.checkouts.delete(connection));
}

/** The container's one Sequelize instance and its models, created on first use, reused by warm invocations. */
export function getModels(): Models {
  models ??= createModels();
  return models;
}

export function getSequelize(): Sequelize {
  return getModels().sequelize;
}

/**
 * Creates the container's instance with `credentials` instead of the configured provider (tests).
 * @public tests/support/containers.ts calls it on a module loaded by require(), which knip does not follow.
 */
export function initSequelize(credentials: CredentialsProvider): Sequelize {
  if (models) throw new Error('The Sequelize instance already exists');
  models = createModels(credentials);
  return models.sequelize;
}

/** Re-opens the pool after `closeConnections` (per-invocation mode starts every invocation with it). */
export function openConnections(): void {
  reopenPool(getSequelize());
}

/**
 * Reuse mode, at the start of an invocation: a connection that has idled long enough for the container to
 * have been frozen may have been closed by the server or the network meanwhile. One `SELECT 1` finds out;
 * a dead connection fails it, is dropped by Sequelize, and the read is retried on a new connection, so the
 * request itself never meets the dead socket.
 */
export async function checkIdleConnection(): Promise<void> {
  if (!models || Date.now() - lastInvocationEnd < TRUST_IDLE_CONNECTION_MS) return;
  // Nothing open, nothing that can have died: the request's own query opens a fresh connection.
  if (openConnectionCount === 0) return;
  await models.sequelize.query('SELECT 1', { type: QueryTypes.SELECT, raw: true });
}

/**
 * A provisioned environment's init (docs/operations.md#provisioned-concurrency): the instance, the
 * credentials, one pooled connection (TLS, authentication, Sequelize's type lookup) and Sequelize's query
 * path, so that the first request finds what a warm one finds. In `per-invocation` mode no connection
 * outlives an invocation: only the instance is created.
 * @throws what opening the connection throws; the caller logs it and leaves the first request to retry
 */
export async function openConnectionAtInit(): Promise<void> {
  const { sequelize } = getModels();
  if (config.database.poolMode === 'per-invocation') return;
  // Bound, as the services' statements are: the extended protocol's code path is compiled here too.
  await sequelize.query('SELECT $1::int AS ready', { bind: [1], type: QueryTypes.SELECT, raw: true });
  // A request arriving straight after init trusts this connection; after a longer freeze it is checked.
  lastInvocationEnd = Date.now();
}

/**
 * The end of every invocation: a connection still checked out belongs to work that was abandoned (the
 * early-timeout path). Its statement is cancelled and the connection destroyed, never handed to the
 * next invocation. In `per-invocation` mode the pool is then closed.
 */
export async function releaseInvocationConnections(): Promise<void> {
  lastInvocationEnd = Date.now();
  const scope = invocationScope.getStore();
  if (scope) scope.ended = true;
  if (!models) return;
  const manager = models.sequelize.connectionManager;
  const abandoned = [...(scope?.checkouts ?? [])];
  scope?.checkouts.clear();
  await Promise.all(
    abandoned.map(async (client) => {
      await cancelRunningStatement(client);
      await manager.destroyConnection(client).catch(() => undefined);
    }),
  );
  if (config.database.poolMode === 'per-invocation') await closeConnections();
}

/** Runs one invocation with its own record of checked-out connections (see releaseInvocationConnections). */
export function withConnectionScope<A extends unknown[], R>(invocation: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return (...args) => invocationScope.run({ checkouts: new Set(), ended: false }, () => invocation(...args));
}

/** Ends every pooled connection; the instance stays usable after `openConnections`. */
export async function closeConnections(): Promise<void> {
  if (!models) return;
  if (isPoolClosed(models.sequelize)) return;
  await models.sequelize.connectionManager.close();
}
