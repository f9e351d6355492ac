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
  /**
   * `reuse` keeps the connection across warm invocations; `per-invocation` closes it at the end of each
   * (docs/operations.md#connections).
   */
  DB_POOL_MODE: z.enum(['reuse', 'per-invocation']).default('reuse'),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(20).default(2),
  /** Bounds every wait on the database so an outage answers 503 long before the Lambda timeout. */
  DB_CONNECT_TIMEOUT_MS: z.coerce.number().int().positive().default(2000),
  DB_ACQUIRE_TIMEOUT_MS: z.coerce.number().int().positive().default(3000),
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().positive().default(5000),
  /** The function's own timeout, used as the pool's eviction interval in `per-invocation` mode. */
  FUNCTION_TIMEOUT_MS: z.coerce.number().int().positive().default(10000),
  DB_SSL: z.enum(['off', 'verify']).optional(),
  /** Where the password comes from (docs/operations.md#credentials): the URL, a Secrets Manager secret, or an RDS IAM token. */
  DB_AUTH: z.enum(['url', 'secret', 'iam']).optional(),
  /** Secret with a `password` (and optionally `username`) field, as RDS-managed secrets have. */
  DB_SECRET_ID: z.string().min(1).optional(),
  /**
   * The migrate function only, in `create` mode: the secret of the user the service runs as. After the
   * migrations it creates that user, or sets its password, and grants it the service's tables
   * (shared/db/app-user.ts). Empty or unset: nothing is provisioned.
   */
  DB_APP_SECRET_ID: z
    .string()
    .optional()
    .transform((value) => value || undefined),
  /** Overrides the Secrets Manager endpoint (a VPC endpoint, or a local fake in tests). */
  DB_SECRETS_ENDPOINT: z.url().optional(),
  AWS_REGION: z.string().min(1).optional(),
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
  /**
   * Set by the Lambda runtime: `on-demand`, `provisioned-concurrency` or `snap-start`. A provisioned
   * environment opens its database connection during init (docs/operations.md#provisioned-concurrency).
   * Any other value reads as on-demand, so a new kind never fails a container.
   */
  AWS_LAMBDA_INITIALIZATION_TYPE: z.string().optional(),
  /** Where the scheduled sync reads the roster: `s3://bucket/prefix/`, `s3://bucket/key.zip`, a folder or a zip. */
  ROSTER_SOURCE: z.string().min(1).optional(),
  /**
   * Deployed: the function outside the VPC that pulls a district's OneRoster REST roster into
   * ROSTER_PULL_BUCKET (docs/oneroster.md#a-oneroster-rest-district); unset, the sync pulls in-process.
   */
  ROSTER_PULL_FUNCTION: z.string().min(1).optional(),
  /** The puller function's bucket: a pulled REST roster is written under `pulls/<districtId>/` there. */
  ROSTER_PULL_BUCKET: z.string().min(1).optional(),
  /**
   * Overrides the Lambda API endpoint the sync invokes the puller through: serverless-offline's
   * (http://localhost:3002) or a test's stand-in. Unset in AWS, where the VPC's Lambda endpoint answers.
   */
  LAMBDA_ENDPOINT: z.url().optional(),
  /**
   * Where a district's OneRoster client credentials are kept: the Secrets Manager secret
   * `<prefix><districtId>/oneroster`. Defaults to `school-roster/<STAGE>/districts/`.
   */
  ROSTER_CREDENTIALS_PREFIX: z.string().min(1).optional(),
  /** A bulk run that would soft-delete more than this share of live roster-managed users or schools applies nothing. */
  ROSTER_MAX_DELETE_RATIO: z.coerce.number().min(0).max(1).default(0.1),
  /**
   * The statement and read timeout of the roster sync's own connection (shared/db/sync-connection.ts); 0 is
   * none. Unset: deployed, the sync function's timeout less the time it keeps to roll back and record the
   * run; locally (`npm run sync`), none, as no function timeout bounds a CLI run.
   */
  ROSTER_SYNC_TIMEOUT_MS: z.coerce.number().int().min(0).optional(),
  /**
   * How many districts' syncs run at once when many are due (`npm run sync -- --due`, and the bound the
   * scheduling fan-out is given): each holds one database connection for its whole run.
   */
  ROSTER_SYNC_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(4),
  /**
   * The schedule (an EventBridge rate or cron expression) a district gets when the deployment makes its
   * first one, on the upgrade to districts or on its first sync, so that a single-district deployment
   * keeps syncing on the schedule it had. Empty or unset: such a district is synced by hand only.
   */
  ROSTER_SYNC_SCHEDULE: z
    .string()
    .optional()
    .transform((value) => value || undefined),
  /** Days change events are kept (docs/change-feed.md); a feed cursor older than that is a 410. */
  CHANGES_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  /**
   * The key that encrypts webhook signing secrets at rest (AES-256-GCM): locally and in tests, 32 bytes in
   * base64 (npm start keeps one under .data/); deployed, the Secrets Manager secret WEBHOOK_KEY_SECRET_ID
   * holds it, readable only by the webhooks and deliver functions.
   */
  WEBHOOK_KEY: z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'must be 32 bytes in base64').optional(),
  WEBHOOK_KEY_SECRET_ID: z.string().min(1).optional(),
  /** Deployed: the function outside the VPC that sends signed deliveries (docs/change-feed.md); unset, deliver sends itself. */
  WEBHOOK_SENDER_FUNCTION: z.string().min(1).optional(),
  /** How long a failing subscription is retried before it is disabled (docs/change-feed.md: at least 24 hours). */
  WEBHOOK_RETRY_WINDOW_HOURS: z.coerce.number().min(24).max(24 * 14).default(24),
  /** An S3-compatible endpoint (a local test server); unset in AWS, where the SDK finds the regional one. */
  S3_ENDPOINT: z.url().optional(),
  /**
   * Housekeeping erases users and schools soft-deleted longer ago than this (docs/lifecycle.md). At least a day, so
   * that the Idempotency-Key records that quote a record (kept 24 hours) are gone before it is erased.
   */
  RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  /** Housekeeping deletes roster sync run records older than this (docs/lifecycle.md). */
  SYNC_RUN_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
});

type PoolMode = 'reuse' | 'per-invocation';

/**
 * Time middy keeps back before the Lambda timeout to answer 503 and release connections itself, rather
 * than let Lambda kill the invocation with the connection still checked out.
 */
export const TIMEOUT_EARLY_MS = 500;

/** Time a deployed sync keeps back from its function's timeout to roll back, record the run and unlock. */
const SYNC_WRAP_UP_MS = 10_000;

/**
 * Every wait on the database must end before the function does, or a stalled database turns into a Lambda
 * timeout (no response, a connection left behind) instead of a 503.
 */
function checkTimeoutsFit(e: z.infer<typeof EnvSchema>): void {
  const budget = e.FUNCTION_TIMEOUT_MS - TIMEOUT_EARLY_MS;
  const problems = [
    e.DB_CONNECT_TIMEOUT_MS > e.DB_ACQUIRE_TIMEOUT_MS && 'DB_CONNECT_TIMEOUT_MS must not exceed DB_ACQUIRE_TIMEOUT_MS',
    e.DB_ACQUIRE_TIMEOUT_MS + e.DB_STATEMENT_TIMEOUT_MS > budget &&
      `DB_ACQUIRE_TIMEOUT_MS + DB_STATEMENT_TIMEOUT_MS must fit in FUNCTION_TIMEOUT_MS - ${TIMEOUT_EARLY_MS} ms (${budget} ms)`,
  ].filter(Boolean);
  if (problems.length > 0) throw new Error(`Invalid configuration: ${problems.join('; ')}`);
}

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
  if (deployed && e.WEBHOOK_KEY) {
    throw new Error('Invalid configuration: WEBHOOK_KEY is for local runs; deployed, WEBHOOK_KEY_SECRET_ID names the key');
  }
  // A local DATABASE_URL wins (serverless-offline also hands the functions the deployed variables);
  // deployed, the secret serverless.yml names, else an RDS IAM token (DB_AUTH=iam with rds-db:connect).
  const auth = e.DB_AUTH ?? (local ? 'url' : e.DB_SECRET_ID ? 'secret' : 'iam');
  if (auth === 'secret' && !e.DB_SECRET_ID) throw new Error('Invalid configuration: DB_AUTH=secret needs DB_SECRET_ID');
  if (auth === 'iam' && !(e.DB_HOST && e.DB_USER)) throw new Error('Invalid configuration: DB_AUTH=iam needs DB_HOST and DB_USER');
  if (auth !== 'url' && !e.AWS_REGION) throw new Error(`Invalid configuration: DB_AUTH=${auth} needs AWS_REGION`);
  checkTimeoutsFit(e);
  return Object.freeze({
    stage: e.STAGE,
    /** Running in AWS Lambda (not serverless-offline): outbound URLs must then be https to public addresses. */
    deployed,
    lambda: Object.freeze({ provisioned: e.AWS_LAMBDA_INITIALIZATION_TYPE === 'provisioned-concurrency' }),
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
      auth,
      secretId: e.DB_SECRET_ID,
      appSecretId: e.DB_APP_SECRET_ID,
      secretsEndpoint: e.DB_SECRETS_ENDPOINT,
      region: e.AWS_REGION,
    }),
    roster: Object.freeze({
      source: e.ROSTER_SOURCE,
      maxDeleteRatio: e.ROSTER_MAX_DELETE_RATIO,
      syncTimeoutMs: e.ROSTER_SYNC_TIMEOUT_MS ?? (deployed ? Math.max(e.FUNCTION_TIMEOUT_MS - SYNC_WRAP_UP_MS, 1000) : 0),
      syncConcurrency: e.ROSTER_SYNC_CONCURRENCY,
      schedule: e.ROSTER_SYNC_SCHEDULE,
      pullFunction: e.ROSTER_PULL_FUNCTION,
      pullBucket: e.ROSTER_PULL_BUCKET,
      lambdaEndpoint: e.LAMBDA_ENDPOINT,
      credentialsPrefix: e.ROSTER_CREDENTIALS_PREFIX ?? `school-roster/${e.STAGE}/districts/`,
    }),
    retention: Object.freeze({
      deletedRecordDays: e.RETENTION_DAYS,
      syncRunDays: e.SYNC_RUN_RETENTION_DAYS,
    }),
    changes: Object.freeze({ retentionDays: e.CHANGES_RETENTION_DAYS }),
    webhooks: Object.freeze({
      key: e.WEBHOOK_KEY,
      keySecretId: e.WEBHOOK_KEY_SECRET_ID,
      senderFunction: e.WEBHOOK_SENDER_FUNCTION,
      retryWindowHours: e.WEBHOOK_RETRY_WINDOW_HOURS,
    }),
    s3: Object.freeze({
      endpoint: e.S3_ENDPOINT,
      region: e.AWS_REGION ?? 'us-east-1',
      // Local S3-compatible servers serve buckets by path, not by host name.
      forcePathStyle: Boolean(e.S3_ENDPOINT),
    }),
  });
}

export const config = loadConfig(process.env);
export { loadConfig };
