import { z } from 'zod';

/**
 * Every environment variable the service reads, checked once at cold start: a missing or malformed
 * variable fails the container at load, not the fifth request.
 */
const EnvSchema = z.object({
  DATABASE_URL: z.url().optional(),
  DB_HOST: z.string().min(1).optional(),
  DB_PORT: z.coerce.number().int().positive().default(5432),
  DB_NAME: z.string().min(1).default('roster'),
  DB_USER: z.string().min(1).optional(),
  /** `reuse` keeps the connection across warm invocations; `per-invocation` closes it at the end of each (SPEC §3). */
  DB_POOL_MODE: z.enum(['reuse', 'per-invocation']).default('reuse'),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(20).default(2),
  /** Bounds every wait on the database so an outage answers 503 long before the Lambda timeout. */
  DB_CONNECT_TIMEOUT_MS: z.coerce.number().int().positive().default(2000),
  DB_ACQUIRE_TIMEOUT_MS: z.coerce.number().int().positive().default(3000),
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
  /** The function's own timeout, used as the pool's eviction interval in `per-invocation` mode. */
  FUNCTION_TIMEOUT_MS: z.coerce.number().int().positive().default(10000),
  DB_SSL: z.enum(['off', 'verify']).optional(),
  LOG_SQL: z.enum(['true', 'false']).default('false'),
  /** Where the scheduled sync reads the roster: `s3://bucket/prefix/`, `s3://bucket/key.zip`, a folder or a zip. */
  ROSTER_SOURCE: z.string().min(1).optional(),
  /** A bulk run that would soft-delete more than this share of live roster-managed users or schools applies nothing. */
  ROSTER_MAX_DELETE_RATIO: z.coerce.number().min(0).max(1).default(0.1),
  /** An S3-compatible endpoint (a local test server); unset in AWS, where the SDK finds the regional one. */
  S3_ENDPOINT: z.url().optional(),
  AWS_REGION: z.string().min(1).default('us-east-1'),
});

export type PoolMode = 'reuse' | 'per-invocation';

function loadConfig(env: NodeJS.ProcessEnv) {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const fields = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Invalid configuration: ${fields.join('; ')}`);
  }
  const e = parsed.data;
  if (!e.DATABASE_URL && !(e.DB_HOST && e.DB_USER)) {
    throw new Error('Invalid configuration: set DATABASE_URL, or DB_HOST and DB_USER');
  }
  const local = Boolean(e.DATABASE_URL);
  return Object.freeze({
    database: Object.freeze({
      url: e.DATABASE_URL,
      host: e.DB_HOST,
      port: e.DB_PORT,
      name: e.DB_NAME,
      user: e.DB_USER,
      // TLS is verified against the RDS CA bundle whenever the database is not a local URL.
      ssl: (e.DB_SSL ?? (local ? 'off' : 'verify')) === 'verify',
      poolMode: e.DB_POOL_MODE as PoolMode,
      poolMax: e.DB_POOL_MAX,
      connectTimeoutMs: e.DB_CONNECT_TIMEOUT_MS,
      acquireTimeoutMs: e.DB_ACQUIRE_TIMEOUT_MS,
      statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS,
      functionTimeoutMs: e.FUNCTION_TIMEOUT_MS,
      logSql: e.LOG_SQL === 'true',
    }),
    roster: Object.freeze({
      source: e.ROSTER_SOURCE,
      maxDeleteRatio: e.ROSTER_MAX_DELETE_RATIO,
    }),
    s3: Object.freeze({
      endpoint: e.S3_ENDPOINT,
      region: e.AWS_REGION,
      // Local S3-compatible servers serve buckets by path, not by host name.
      forcePathStyle: Boolean(e.S3_ENDPOINT),
    }),
  });
}

export const config = loadConfig(process.env);
export type Config = typeof config;
