import * as z from 'zod';

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
  /** Prints every SQL statement with its bound values: local debugging only, refused when deployed. */
  LOG_SQL: z.enum(['true', 'false']).default('false'),
  /**
   * The public JWK of the development signing key (scripts/dev-auth.ts). Set only by `npm start`: the
   * local API then verifies the bearer token itself, as serverless-offline verifies no signature.
   * Refused when deployed, where API Gateway's JWT authorizer is the only verifier.
   */
  AUTH_LOCAL_PUBLIC_JWK: z.string().min(1).optional(),
  /** The deployment stage, a dimension of every metric so that stages sharing an account stay apart. */
  STAGE: z.string().min(1).default('local'),
  /** Set by the Lambda runtime; serverless-offline sets IS_OFFLINE instead. */
  AWS_EXECUTION_ENV: z.string().optional(),
  IS_OFFLINE: z.string().optional(),
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
  const deployed = Boolean(e.AWS_EXECUTION_ENV?.startsWith('AWS_Lambda')) && e.IS_OFFLINE !== 'true';
  if (deployed && e.LOG_SQL === 'true') {
    throw new Error('Invalid configuration: LOG_SQL would log bound values (personal data); it is for local debugging only');
  }
  if (deployed && e.AUTH_LOCAL_PUBLIC_JWK) {
    throw new Error('Invalid configuration: AUTH_LOCAL_PUBLIC_JWK is for the local API only; deployed, API Gateway verifies tokens');
  }
  return Object.freeze({
    stage: e.STAGE,
    auth: Object.freeze({ localPublicJwk: e.AUTH_LOCAL_PUBLIC_JWK }),
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
  });
}

export const config = loadConfig(process.env);
export type Config = typeof config;
