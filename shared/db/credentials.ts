import { config } from '../config';

/** A user name and password for the next connection; `user` undefined keeps the configured one. */
export interface DbCredentials {
  user?: string;
  password: string;
}

/**
 * Where connection passwords come from (docs/operations.md#credentials). `get` is called by the `beforeConnect` hook for every
 * new connection, so it must be cheap when cached; `invalidate` is called when the server refuses the
 * password (28P01), so that a rotated secret is fetched again.
 */
export interface CredentialsProvider {
  get(): Promise<DbCredentials>;
  invalidate(): void;
}

/** Caches what `load` returns for `ttlMs`, sharing one in-flight load between concurrent connects. */
function cached(load: () => Promise<DbCredentials>, ttlMs: number): CredentialsProvider {
  let value: Promise<DbCredentials> | undefined;
  let expiresAt = 0;
  return {
    get() {
      if (!value || Date.now() >= expiresAt) {
        expiresAt = Date.now() + ttlMs;
        value = load().catch((error: unknown) => {
          value = undefined;
          throw error;
        });
      }
      return value;
    },
    invalidate() {
      value = undefined;
    },
  };
}

// Secrets Manager rotation keeps the previous password valid for a while; an hour bounds staleness and
// the 28P01 path refreshes at once when it is not enough.
const SECRET_TTL_MS = 60 * 60_000;
// An RDS IAM token is valid for 15 minutes; a fresh one is signed well before that.
const IAM_TOKEN_TTL_MS = 10 * 60_000;

/**
 * A secret's JSON text, parsed. The SDK is imported only here: the Lambda runtime provides it, the bundle
 * excludes it, and local runs that read no secret never load it. `DB_SECRETS_ENDPOINT` points it at a VPC
 * endpoint or a local stand-in; it serves every secret the service reads, not only the database's.
 * @throws the SDK's error (ResourceNotFoundException, AccessDeniedException...) or a SyntaxError
 */
export async function readSecretJson(secretId: string): Promise<unknown> {
  const { region, secretsEndpoint } = config.database;
  const { SecretsManagerClient, GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient({ region, ...(secretsEndpoint ? { endpoint: secretsEndpoint } : {}) });
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    return JSON.parse(SecretString ?? '{}');
  } finally {
    client.destroy();
  }
}

/** Reads a secret shaped as RDS writes it (`{"username", "password", ...}`). */
export async function readSecret(secretId: string): Promise<DbCredentials> {
  const secret = (await readSecretJson(secretId)) as { username?: unknown; password?: unknown };
  if (typeof secret.password !== 'string') throw new Error(`Secret ${secretId} has no "password" field`);
  return { user: typeof secret.username === 'string' ? secret.username : undefined, password: secret.password };
}

function iamTokenCredentials(hostname: string, port: number, username: string, region: string): CredentialsProvider {
  return cached(async () => {
    const { Signer } = await import('@aws-sdk/rds-signer');
    const token = await new Signer({ hostname, port, username, region }).getAuthToken();
    return { password: token };
  }, IAM_TOKEN_TTL_MS);
}

/** The provider chosen by `DB_AUTH`, or none when the password is in `DATABASE_URL`. */
export function configuredCredentials(): CredentialsProvider | undefined {
  const db = config.database;
  switch (db.auth) {
    // config.ts refuses to load without the variables each mode needs, so the fallbacks are never used.
    case 'secret':
      return cached(() => readSecret(db.secretId ?? ''), SECRET_TTL_MS);
    case 'iam':
      return iamTokenCredentials(db.host ?? '', db.port, db.user ?? '', db.region ?? '');
    default:
      return undefined;
  }
}
