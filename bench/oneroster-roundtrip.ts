import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { withDatabase } from '../scripts/database-url';
import { openSequelize, recreateDatabase } from '../scripts/databases';
import { startOAuthTokenServer } from '../scripts/oauth-token';
import { startOffline } from '../scripts/offline-server';
import { generateRoster } from '../scripts/roster-generator';
import { migrateUp } from '../shared/db/migrator';
import { withBenchDatabase } from './support/bench-database';

/**
 * `npm run bench:roundtrip -- [--users 10000] [--rounds 3]`: the OneRoster round trip (docs/oneroster.md#the-round-trip) at a
 * district's size. A generated roster is imported into one database, which serverless-offline serves
 * (the `oneroster` function, as `npm start` runs it); a second database's district pulls it from those
 * endpoints with the REST source (a token from the local client-credentials endpoint, pages of the
 * sync's own size) and imports it. Each round empties the mirror, then times the first trip and an
 * unchanged second one; medians are printed.
 */
const run = promisify(execFile);
const { values } = parseArgs({ options: { users: { type: 'string', default: '10000' }, rounds: { type: 'string', default: '3' } } });
const USERS = Number(values.users);
const ROUNDS = Number(values.rounds);
const CLIENT = { clientId: 'bench-mirror', clientSecret: 'bench-secret' };
const MIRROR_DATABASE = 'roster_bench_mirror';

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function migrate(url: string): Promise<void> {
  const sequelize = openSequelize(url);
  try {
    await migrateUp(sequelize);
  } finally {
    await sequelize.close();
  }
}

async function sql(url: string, text: string, bind: unknown[] = []): Promise<Record<string, unknown>[]> {
  const sequelize = openSequelize(url);
  try {
    const [rows] = await sequelize.query(text, { bind });
    return rows as Record<string, unknown>[];
  } finally {
    await sequelize.close();
  }
}

async function child(script: string, args: string[], databaseUrl: string): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', path.join(__dirname, script), ...args], {
    env: { ...process.env, DATABASE_URL: databaseUrl, POWERTOOLS_LOG_LEVEL: 'WARN' },
    maxBuffer: 16 * 1024 * 1024,
  });
  return JSON.parse(stdout) as Record<string, unknown>;
}

interface Trip {
  pullMs: number;
  importMs: number;
  status: string;
  users: Record<string, number>;
  memberships: Record<string, number>;
  maxRssKiB: number;
}

withBenchDatabase(async (sourceUrl) => {
  const mirrorUrl = await recreateDatabase(withDatabase(sourceUrl, 'postgres'), MIRROR_DATABASE);
  const folder = mkdtempSync(path.join(os.tmpdir(), 'roster-roundtrip-'));
  const server = await startOffline({ DATABASE_URL: sourceUrl, POWERTOOLS_LOG_LEVEL: 'WARN', POWERTOOLS_METRICS_DISABLED: 'true' });
  const tokens = await startOAuthTokenServer({ ...CLIENT, keyFile: server.keyFile });
  try {
    await migrate(sourceUrl);
    await migrate(mirrorUrl);
    const generated = await generateRoster({ users: USERS, schools: Math.max(1, Math.round(USERS / 1000)), out: folder });
    const imported = await child('sync-child.ts', [folder], sourceUrl);
    if (imported.status !== 'succeeded') throw new Error(`the source import did not succeed: ${JSON.stringify(imported)}`);
    const baseUrl = `${server.baseUrl}/ims/oneroster/rostering/v1p2`;
    const [{ districtId }] = await sql(mirrorUrl, `INSERT INTO districts (name, "rosterSource") VALUES ('Mirror', $1) RETURNING "districtId"`, [baseUrl]);
    const trip = async () => (await child('roundtrip-child.ts', [baseUrl, tokens.tokenUrl, CLIENT.clientId, CLIENT.clientSecret, String(districtId)], mirrorUrl)) as unknown as Trip;

    const first: Trip[] = [];
    const again: Trip[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      await sql(mirrorUrl, 'TRUNCATE users, schools, user_schools, roster_sync_runs, change_events, change_commits CASCADE');
      first.push(await trip());
      again.push(await trip());
      const [a, b] = [first.at(-1), again.at(-1)] as Trip[];
      if (a.status !== 'succeeded' || b.status !== 'succeeded' || b.users.created + b.users.updated + b.memberships.created > 0) {
        throw new Error(`round ${round} did not round-trip cleanly: ${JSON.stringify({ a, b })}`);
      }
      console.log(`round ${round}: first ${((a.pullMs + a.importMs) / 1000).toFixed(2)} s, again ${((b.pullMs + b.importMs) / 1000).toFixed(2)} s`);
    }
    const [counts] = await sql(mirrorUrl, `SELECT (SELECT count(*) FROM users WHERE "deletedAt" IS NULL)::int AS users, (SELECT count(*) FROM user_schools)::int AS memberships`);
    console.log(`\nOneRoster round trip: ${generated.users} users, ${generated.schools} schools, ${generated.memberships} memberships; the mirror holds ${counts.users} users and ${counts.memberships} memberships. Medians of ${ROUNDS} rounds (load average ${os.loadavg()[0].toFixed(1)}):\n`);
    const row = (name: string, trips: Trip[]) => {
      const pull = median(trips.map((t) => t.pullMs));
      const load = median(trips.map((t) => t.importMs));
      const total = median(trips.map((t) => t.pullMs + t.importMs));
      const rss = median(trips.map((t) => t.maxRssKiB)) / 1024;
      return `| ${name} | ${(pull / 1000).toFixed(2)} s | ${(load / 1000).toFixed(2)} s | ${(total / 1000).toFixed(2)} s | ${rss.toFixed(0)} MiB |`;
    };
    console.log('| trip | pull (paging the endpoints) | import | total | peak RSS of the mirror sync |');
    console.log('|---|---|---|---|---|');
    console.log(row('first', first));
    console.log(row('unchanged again', again));
  } finally {
    await tokens.close();
    await server.stop();
    rmSync(folder, { recursive: true, force: true });
    await sql(withDatabase(sourceUrl, 'postgres'), `DROP DATABASE IF EXISTS ${MIRROR_DATABASE} WITH (FORCE)`);
  }
}).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
