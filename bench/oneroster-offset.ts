/**
 * `npx tsx bench/oneroster-offset.ts`: what a OneRoster users page costs at offset 0 and 100,000 over
 * 120,000 users (one membership each), the X-Total-Count that goes with it, and a delta pull
 * (`filter=dateLastModified>'...'` matching 1% of users) with and without an index on
 * ("updatedAt", "userId"). The query has the shape a OneRoster /users page needs (roles aggregated per user, live
 * users and those deleted within the retention); the endpoint itself is built later, so these figures are
 * the SQL's, measured with a plain pg client against a throwaway embedded PostgreSQL 17.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { withDatabase } from '../scripts/database-url';
import { freePort } from '../scripts/free-port';
import { startLocalPostgres } from '../scripts/local-postgres';
import { migrateUp } from '../shared/db/migrator';
import { filterToSql, parseFilter, type FilterFields } from '../shared/oneroster/filter';
import { openSequelize, recreateDatabase } from '../scripts/databases';

const USERS = 120_000;
const RUNS = Number(process.env.BENCH_RUNS ?? 50);
const FIELDS: FilterFields = { dateLastModified: { sql: 'u."updatedAt"', type: 'datetime' } };

const ROLES = `(SELECT json_agg(json_build_object('role', us.role, 'org', us."schoolSchoolId")) FROM user_schools us WHERE us."userUserId" = u."userId") AS roles`;
const RETAINED = `(u."deletedAt" IS NULL OR u."deletedAt" > now() - interval '30 days')`;

/** The naive shape: the roles subquery sits in the select list, so PostgreSQL runs it for every row OFFSET skips. */
function naivePage(where: string, orderBy: string, offsetParameter: number): string {
  return `SELECT u."userId", u."firstName", u."lastName", u.email, u."userName", u."updatedAt", u."deletedAt", ${ROLES}
    FROM users u WHERE ${RETAINED} AND ${where} ORDER BY ${orderBy} LIMIT 100 OFFSET $${offsetParameter}`;
}

/** The page's rows first, then their roles: OFFSET skips index entries only. */
function page(where: string, orderBy: string, offsetParameter: number): string {
  return `SELECT u.*, ${ROLES} FROM (
      SELECT u."userId", u."firstName", u."lastName", u.email, u."userName", u."updatedAt", u."deletedAt"
      FROM users u WHERE ${RETAINED} AND ${where} ORDER BY ${orderBy} LIMIT 100 OFFSET $${offsetParameter}
    ) u ORDER BY ${orderBy}`;
}

async function median(client: pg.Client, text: string, values: unknown[]): Promise<number> {
  for (let i = 0; i < 5; i++) await client.query(text, values);
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await client.query(text, values);
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-offset-pg-'));
  const server = await startLocalPostgres({ dataDir, port: await freePort(), persistent: false });
  try {
    const url = await recreateDatabase(withDatabase(server.serverUrl, 'postgres'), 'roster_bench');
    const sequelize = openSequelize(url);
    await migrateUp(sequelize);
    await sequelize.close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`
      INSERT INTO schools ("name") SELECT 'School ' || i FROM generate_series(1, 100) AS i;
      INSERT INTO users ("firstName", "lastName", "email", "updatedAt", "createdAt")
      SELECT 'First' || i, 'Last' || i, 'user' || i || '@example.org', now() - make_interval(secs => i), now() - make_interval(secs => i)
      FROM generate_series(1, ${USERS}) AS i;
      INSERT INTO user_schools ("userUserId", "schoolSchoolId", "role")
      SELECT u."userId", s."schoolId", 'student' FROM (SELECT "userId", row_number() OVER () % 100 AS n FROM users) u
      JOIN (SELECT "schoolId", row_number() OVER () - 1 AS n FROM schools) s ON s.n = u.n;
      ANALYZE users; ANALYZE user_schools;`);
    const ms = (value: number) => `${value.toFixed(2)} ms`;
    const byId = 'u."userId" ASC';
    const naiveFirst = await median(client, naivePage('TRUE', byId, 1), [0]);
    const naiveDeep = await median(client, naivePage('TRUE', byId, 1), [100_000]);
    const first = await median(client, page('TRUE', byId, 1), [0]);
    const deep = await median(client, page('TRUE', byId, 1), [100_000]);
    const count = await median(client, `SELECT count(*) FROM users u WHERE u."deletedAt" IS NULL OR u."deletedAt" > now() - interval '30 days'`, []);
    // 1% of users changed since the cut-off: the newest 1,200.
    const { rows: [{ cutoff }] } = await client.query<{ cutoff: Date }>(`SELECT "updatedAt" AS cutoff FROM users ORDER BY "updatedAt" DESC OFFSET ${USERS / 100} LIMIT 1`);
    const delta = filterToSql(parseFilter(`dateLastModified>'${cutoff.toISOString()}'`), FIELDS, 2);
    const deltaOrder = 'u."updatedAt" ASC, u."userId" ASC';
    const deltaNoIndex = await median(client, page(delta.text, deltaOrder, 1), [0, ...delta.values]);
    await client.query(`CREATE INDEX users_modified_idx ON users ("updatedAt", "userId"); ANALYZE users`);
    const deltaIndexed = await median(client, page(delta.text, deltaOrder, 1), [0, ...delta.values]);
    const deltaIndexedLast = await median(client, page(delta.text, deltaOrder, 1), [1100, ...delta.values]);
    await client.end();
    console.log(`${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${os.cpus()[0]?.model}, PostgreSQL 17 (embedded), median of ${RUNS}`);
    console.log(`${USERS.toLocaleString('en')} users, pages of 100 by sourcedId:`);
    console.log(`  roles in the select list: offset 0: ${ms(naiveFirst)}; offset 100,000: ${ms(naiveDeep)}`);
    console.log(`  page first, then roles:   offset 0: ${ms(first)}; offset 100,000: ${ms(deep)}`);
    console.log(`  count(*) for X-Total-Count: ${ms(count)}`);
    console.log(`  delta (1% changed) without an index on updatedAt: ${ms(deltaNoIndex)}; with one: ${ms(deltaIndexed)} (its last page: ${ms(deltaIndexedLast)})`);
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

void main();
