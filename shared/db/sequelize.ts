import pg from 'pg';
import { Sequelize, type Options, type PoolOptions } from 'sequelize';
import { config } from '../config';
import { initModels } from '../models/associations';

type Models = ReturnType<typeof initModels> & { sequelize: Sequelize };

let models: Models | undefined;

function poolOptions(): PoolOptions {
  const db = config.database;
  if (db.poolMode === 'per-invocation') {
    // Sequelize's AWS Lambda guidance: nothing idles between invocations, and a connection left by an
    // invocation that timed out is evicted after one function timeout.
    return { max: 2, min: 0, idle: 0, acquire: db.acquireTimeoutMs, evict: db.functionTimeoutMs };
  }
  // One warm container serves one request at a time; max 2 leaves room for a transaction plus a read.
  // min 0 lets an idle container hold nothing once the server's idle_session_timeout has closed it.
  return { max: db.poolMax, min: 0, idle: 60_000, acquire: db.acquireTimeoutMs, evict: 1_000 };
}

function createModels(): Models {
  const db = config.database;
  // keepDefaultTimezone is read by Sequelize but missing from its Options type.
  const options: Options & { keepDefaultTimezone: boolean } = {
    dialect: 'postgres',
    // Bundlers cannot follow Sequelize's dynamic require('pg'); hand it the module.
    dialectModule: pg,
    logging: db.logSql ? (sql) => console.debug(sql) : false,
    benchmark: false,
    pool: poolOptions(),
    // No per-connection SET statements: they pin RDS Proxy connections. The server keeps UTC.
    keepDefaultTimezone: true,
    dialectOptions: {
      clientMinMessages: 'ignore',
      application_name: 'school-roster',
      connectionTimeoutMillis: db.connectTimeoutMs,
      statement_timeout: db.statementTimeoutMs,
      keepAlive: true,
    },
  };
  const instance = db.url
    ? new Sequelize(db.url, options)
    : new Sequelize(db.name, db.user ?? '', undefined, { ...options, host: db.host, port: db.port });
  return { ...initModels(instance), sequelize: instance };
}

/** The container's one Sequelize instance and its models, created on first use, reused by warm invocations. */
export function getModels(): Models {
  models ??= createModels();
  return models;
}

export function getSequelize(): Sequelize {
  return getModels().sequelize;
}

/** Re-opens the pool after `closeConnections` (per-invocation mode starts every invocation with it). */
export function openConnections(): void {
  const instance = getSequelize();
  const manager = instance.connectionManager as unknown as { initPools(): void; getConnection: unknown; pool?: unknown };
  // close() swaps getConnection for a function that throws "pool closed"; initPools() does not restore it.
  if (Object.prototype.hasOwnProperty.call(manager, 'getConnection')) {
    delete (manager as { getConnection?: unknown }).getConnection;
    manager.initPools();
  }
}

/** Ends every pooled connection; the instance stays usable after `openConnections`. */
export async function closeConnections(): Promise<void> {
  if (!models) return;
  const manager = models.sequelize.connectionManager as unknown as { getConnection: unknown };
  if (Object.prototype.hasOwnProperty.call(manager, 'getConnection')) return; // already closed
  await models.sequelize.connectionManager.close();
}
