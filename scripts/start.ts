import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { ADMIN_SCOPE, READ_SCOPE, WRITE_SCOPE } from '../shared/http/routes';
import { withDatabase } from './database-url';
import { loadDevKey, mintDevToken } from './dev-auth';
import { startOAuthTokenServer } from './oauth-token';
import { startLocalPostgres, type LocalPostgres } from './local-postgres';

/**
 * `npm start`: an embedded PostgreSQL under .data/ (unless DATABASE_URL names a database), the
 * migrations, then the API through serverless-offline. Ctrl-C stops both. Authentication stays on:
 * the functions verify bearer tokens against the development key, and a token with both scopes is printed.
 */
const DATA_DIR = path.resolve('.data/postgres');
const LOCAL_DATABASE = 'roster';
const SERVERLESS_BIN = require.resolve('osls/bin/serverless.js');
/** The local key that encrypts webhook signing secrets (deployed: a Secrets Manager secret). */
const WEBHOOK_KEY_FILE = path.resolve('.data/webhook-key');
/** How often `npm start` delivers webhooks (deployed: the deliver function's schedule, every minute). */
const DELIVERY_INTERVAL_MS = 5000;

function localWebhookKey(): string {
  if (!existsSync(WEBHOOK_KEY_FILE)) {
    mkdirSync(path.dirname(WEBHOOK_KEY_FILE), { recursive: true });
    writeFileSync(WEBHOOK_KEY_FILE, randomBytes(32).toString('base64'), { mode: 0o600 });
  }
  return readFileSync(WEBHOOK_KEY_FILE, 'utf8').trim();
}

/**
 * serverless-offline runs no schedules: this process delivers webhooks itself every
 * DELIVERY_INTERVAL_MS, one run at a time, as the deliver function does deployed.
 */
function startDeliveries(): () => void {
  const { deliverDue } = require('../shared/webhooks/delivery') as typeof import('../shared/webhooks/delivery');
  const { sendDelivery } = require('../shared/webhooks/send') as typeof import('../shared/webhooks/send');
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    deliverDue({ send: sendDelivery, budgetMs: DELIVERY_INTERVAL_MS })
      .then((result) => {
        if (result.delivered + result.failed > 0) console.log(`Webhooks: ${result.delivered} delivered, ${result.failed} failed`);
      })
      .catch((error: Error) => console.error(`Webhook delivery failed: ${error.name}`))
      .finally(() => (running = false));
  }, DELIVERY_INTERVAL_MS);
  return () => clearInterval(timer);
}

async function ensureDatabase(serverUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  let embedded: LocalPostgres | undefined;
  if (!process.env.DATABASE_URL) {
    const port = Number(process.env.LOCAL_PG_PORT ?? 54329);
    embedded = await startLocalPostgres({ dataDir: DATA_DIR, port, persistent: true });
    await ensureDatabase(embedded.serverUrl, LOCAL_DATABASE);
    process.env.DATABASE_URL = withDatabase(embedded.serverUrl, LOCAL_DATABASE);
  }
  process.env.WEBHOOK_KEY ??= localWebhookKey();
  // Imported only now: the service's config reads DATABASE_URL and WEBHOOK_KEY when it loads.
  const { migrateUp } = require('../shared/db/migrator') as typeof import('../shared/db/migrator');
  const { getSequelize } = require('../shared/db/sequelize') as typeof import('../shared/db/sequelize');
  const applied = await migrateUp(getSequelize());
  const stopDeliveries = startDeliveries();

  const port = process.env.PORT ?? '3000';
  // serverless-offline checks no token signature; the functions verify it with this public key.
  process.env.AUTH_LOCAL_PUBLIC_JWK = JSON.stringify((await loadDevKey()).publicJwk);
  const token = await mintDevToken({ scopes: [READ_SCOPE, WRITE_SCOPE, ADMIN_SCOPE] });
  console.log(`Migrations applied: ${applied.length ? applied.join(', ') : 'none pending'}`);
  console.log(`DATABASE_URL=${process.env.DATABASE_URL}`);
  console.log(`Starting the API on http://localhost:${port} ...`);
  console.log(`Webhooks are delivered every ${DELIVERY_INTERVAL_MS / 1000} s.`);
  console.log(`Every request needs a bearer token; this one has the read, write and admin scopes for 12 hours (more: npm run token -- --help):`);
  console.log(`Authorization: Bearer ${token}`);
  // OneRoster REST clients take their tokens with client credentials (docs/development.md#oneroster-clients).
  const oauthClient = { clientId: 'local-oneroster-client', clientSecret: randomBytes(18).toString('base64url') };
  const oauth = await startOAuthTokenServer({ ...oauthClient, port: Number(process.env.OAUTH_PORT ?? 3004) });
  console.log(`OneRoster clients: token URL ${oauth.tokenUrl}, client id ${oauthClient.clientId}, client secret ${oauthClient.clientSecret}`);

  // Node runs the CLI directly (no npx / shell in between) so that signals reach it. The roster sync's
  // schedule stays off locally: `npm run sync` runs it by hand; this process delivers webhooks.
  const offline = spawn(process.execPath, [SERVERLESS_BIN, 'offline', 'start', '--param=rosterSyncEnabled=false', '--param=webhookDeliveryEnabled=false'], {
    stdio: 'inherit',
    // EMF metric lines are for CloudWatch; locally they would only bury the request logs.
    // Its own build folder, so that `npm run package` beside it leaves its handlers alone (serverless.yml).
    env: { POWERTOOLS_METRICS_DISABLED: 'true', ESBUILD_WORK_FOLDER: '.esbuild-offline', ...process.env, PORT: port, AWS_EC2_METADATA_DISABLED: 'true', SLS_TELEMETRY_DISABLED: '1' },
  });

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    stopDeliveries();
    await oauth.close();
    await getSequelize().close().catch(() => {});
    if (offline.exitCode === null) offline.kill('SIGINT');
    await new Promise((resolve) => (offline.exitCode === null ? offline.once('exit', resolve) : resolve(null)));
    // Postgres may have had the terminal's SIGINT already and be shutting down on its own.
    await embedded?.stop().catch(() => {});
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  offline.on('exit', (code) => void stop(code ?? 0));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
