import { createReadStream, readFileSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { actorBinds, insertEventsSql } from '../shared/changes/events';
import { sealChanges } from '../shared/changes/seal';
import { config } from '../shared/config';

/** The raw CSV, every column as text, under its header's names: COPY parses it, nothing else does. */
async function copyRaw(db: pg.ClientBase, file: string, table: string): Promise<void> {
  const header = readFileSync(file, 'utf8').split('\n', 1)[0].trim().split(',');
  await db.query(`CREATE TEMP TABLE ${table} (${header.map((name) => `"${name}" text`).join(', ')}) ON COMMIT DROP`);
  await pipeline(createReadStream(file), db.query(copyFrom(`COPY ${table} FROM STDIN WITH (FORMAT csv, HEADER true)`)));
  // As the sync does for its own: autovacuum never analyzes a temporary table, and a join planned on a
  // guess of its size can take minutes instead of seconds.
  await db.query(`ANALYZE ${table}`);
}

/**
 * The SQL floor of a first bulk import of a generated OneRoster 1.1 roster (scripts/roster-generator.ts)
 * into an empty district: the files streamed raw into temporary tables with COPY, then one set-based
 * statement per table (schools, users with their identities, memberships), each writing its change events
 * in the same statement as the sync does, and the seal, in one transaction, against the same schema and
 * indexes. No validation, no matching, no deletions: what any import of these rows must at least cost.
 * With `sorted`, the rows go in the order the sync writes them (users by email, links by user), which
 * keeps the index pages each insert touches together: the floor for a sync that sorts, as this one does.
 * Run by bench/sync.ts in a process of its own, as the sync is: prints the milliseconds from the first
 * statement to the commit as JSON.
 */
async function main(roster: string, sorted: boolean): Promise<void> {
  const db = new pg.Client({ connectionString: config.database.url });
  await db.connect();
  try {
    const started = Date.now();
    const { rows } = await db.query<{ id: string }>(`INSERT INTO districts (name) VALUES ('Floor') RETURNING "districtId" AS id`);
    const d = `'${rows[0].id}'::uuid`;
    await db.query('BEGIN');
    await copyRaw(db, path.join(roster, 'orgs.csv'), 'raw_orgs');
    await copyRaw(db, path.join(roster, 'users.csv'), 'raw_users');
    const bind: unknown[] = [];
    const actor = actorBinds({ kind: 'roster', id: 'floor' }, bind);
    await db.query(
      `WITH t AS (
         INSERT INTO schools (name, code, "sourcedId", "districtId")
         SELECT name, identifier, "sourcedId", ${d} FROM raw_orgs WHERE type = 'school' RETURNING *)
       ${insertEventsSql({ from: 't', kind: 'school', type: 'school.created', actor })}`,
      bind,
    );
    await db.query(
      `WITH t AS (
         INSERT INTO users ("firstName", "lastName", email, "userName", "sourcedId", source)
         SELECT "givenName", "familyName", email, username, "sourcedId", 'roster' FROM raw_users
         ${sorted ? 'ORDER BY lower(email)' : ''} RETURNING *
       ), events AS (${insertEventsSql({ from: 't', kind: 'user', type: 'user.created', actor })})
       INSERT INTO user_roster_identities ("districtId", "sourcedId", "userId") SELECT ${d}, "sourcedId", "userId" FROM t`,
      bind,
    );
    // The links' joins are planned on what the statistics say, which after a TRUNCATE still describe the
    // previous district (ANALYZE of an empty table leaves them): the sync analyzes after its user writes too.
    await db.query('ANALYZE schools; ANALYZE user_roster_identities');
    await db.query(
      `WITH t AS (
         INSERT INTO user_schools ("userUserId", "schoolSchoolId", role, source, "districtId")
         SELECT i."userId", s."schoolId", r.role, 'roster', ${d}
         FROM raw_users r CROSS JOIN LATERAL unnest(string_to_array(r."orgSourcedIds", ',')) AS o (id)
         JOIN user_roster_identities i ON i."districtId" = ${d} AND i."sourcedId" = r."sourcedId"
         JOIN schools s ON s."districtId" = ${d} AND s."sourcedId" = o.id
         ${sorted ? 'ORDER BY i."userId", s."schoolId"' : ''}
         RETURNING *)
       ${insertEventsSql({ from: 't', kind: 'membership', type: 'membership.created', actor })}`,
      bind,
    );
    await sealChanges(db);
    await db.query('COMMIT');
    process.stdout.write(JSON.stringify({ durationMs: Date.now() - started }));
  } finally {
    await db.end();
  }
}

main(process.argv[2], process.argv.includes('--sorted')).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
