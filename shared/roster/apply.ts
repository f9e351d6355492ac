import type pg from 'pg';
import { actorBinds, insertEventsSql, type Actor, type EntityKind, type EventType } from '../changes/events';
import type { FileMode, Manifest } from './manifest';
import { emptyCounts, emptyUserCounts, type EntityCounts, type UserCounts } from './types';
import { ADVISORY_LOCKS } from '../db/advisory-locks';

export interface ApplyOptions {
  /** The district whose roster this is: every match, write and removal stays within it. */
  districtId: string;
  force: boolean;
  maxDeleteRatio: number;
  /** Where maxDeleteRatio came from, for the refusal's message. */
  maxDeleteRatioName: string;
  /** The run, as the actor of the change events its statements write. */
  actor: Actor;
}

export interface ApplyResult {
  /** Set when the delete-ratio safety stopped the run: nothing may be committed. */
  refused?: string;
  users: UserCounts;
  schools: EntityCounts;
  memberships: EntityCounts;
  otherOrgs: number;
  otherOrgMemberships: number;
}

type Db = pg.ClientBase;

async function rowCount(db: Db, sql: string): Promise<number> {
  return (await db.query(sql)).rowCount ?? 0;
}

async function numbers<K extends string>(db: Db, sql: string, values?: unknown[]): Promise<Record<K, number>> {
  const row = (await db.query(sql, values)).rows[0] as Record<K, string | number>;
  return Object.fromEntries(Object.entries(row).map(([key, value]) => [key, Number(value)])) as Record<K, number>;
}

/**
 * Drops staged rows that repeat an earlier row's key (keeping the first), reporting each. `key` gives the
 * SQL expression of the key for a table alias; the GROUP BY finds repeats cheaply when, as usual, there
 * are none. Rejected user rows are marked invalid in stage_users so that their record and memberships
 * are left as they are.
 */
async function rejectRepeats(db: Db, table: string, file: string, column: string, key: (alias: string) => string, label: string): Promise<void> {
  await db.query(`
    WITH repeated AS (
      SELECT ${key('t')} AS key, min(line) AS first FROM ${table} t WHERE ${key('t')} IS NOT NULL GROUP BY 1 HAVING count(*) > 1
    ), ranked AS (
      SELECT t.line, r.key, r.first FROM ${table} t JOIN repeated r ON ${key('t')} = r.key
    ), dropped AS (
      DELETE FROM ${table} t USING ranked r WHERE t.line = r.line AND r.line > r.first RETURNING t.line, r.first, r.key
    ), marked AS (
      UPDATE stage_users s SET valid = false FROM dropped d WHERE ${table === 'plan_users' ? 's.line = d.line' : 'false'}
    )
    INSERT INTO sync_errors
    SELECT '${file}', line, '${column}', format('${label} is also on line %s; this row is skipped', first) FROM dropped`);
}

/**
 * Drops planned user rows whose email (case-insensitively) or userName is held by another live user,
 * reporting each. Only a value this run would write can clash: rows of a person whose fields another
 * district supplies write none, and a record already holding a value holds it alone, so a re-run of the
 * same roster checks nothing.
 */
async function rejectTakenUserValue(db: Db, field: 'email' | 'userName'): Promise<void> {
  const [value, current, csvColumn, same] =
    field === 'email'
      ? ['email', 'cur_email', 'email', (a: string, b: string) => `lower(${a}) = lower(${b})`]
      : ['user_name', 'cur_user_name', 'username', (a: string, b: string) => `${a} = ${b}`];
  await db.query(`
    WITH dropped AS (
      DELETE FROM plan_users p
      WHERE p.${value} IS NOT NULL AND p.owner
        AND (p.user_id IS NULL OR p.was_deleted OR p.${current} IS NULL OR NOT ${same(`p.${value}`, `p.${current}`)})
        AND EXISTS (
          SELECT 1 FROM users x
          WHERE x."deletedAt" IS NULL AND ${same(`x."${field}"`, `p.${value}`)} AND x."userId" IS DISTINCT FROM p.user_id)
      RETURNING p.line, p.${value} AS value
    ), marked AS (
      UPDATE stage_users s SET valid = false FROM dropped d WHERE s.line = d.line
    )
    INSERT INTO sync_errors
    SELECT 'users.csv', line, '${csvColumn}', '${csvColumn} belongs to another user; this row is skipped' FROM dropped`);
}

/** A district id spliced into the run's SQL (multi-statement scripts take no bound values): a UUID, or nothing. */
function districtLiteral(districtId: string): string {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(districtId)) throw new Error('districtId must be a UUID');
  return `'${districtId}'::uuid`;
}

/**
 * The schools a run soft-deletes (in bulk, this district's schools absent from the file; in delta, those
 * marked tobedeleted) and the identities it releases, by the same rule.
 */
function goneSql(what: 'schools' | 'identities', d: string, mode: FileMode): string {
  const [select, stage, activeMatch] =
    what === 'schools'
      ? [`SELECT t."schoolId" AS id FROM schools t WHERE t."districtId" = ${d} AND t."deletedAt" IS NULL`, 'stage_orgs', `s.type = 'school'`]
      : [`SELECT t."userId" AS id, t."sourcedId" AS sourced_id FROM user_roster_identities t WHERE t."districtId" = ${d} AND t."releasedAt" IS NULL`, 'stage_users', 'true'];
  if (mode === 'bulk') {
    // A staged row protects its record even when invalid: a typo must not delete anybody.
    return `${select}
      AND NOT EXISTS (SELECT 1 FROM ${stage} s WHERE s.sourced_id = t."sourcedId" AND s.status = 'active' AND (${activeMatch} OR NOT s.valid))`;
  }
  if (mode === 'delta') {
    return `${select}
      AND EXISTS (SELECT 1 FROM ${stage} s WHERE s.sourced_id = t."sourcedId" AND s.status = 'tobedeleted' AND s.valid)`;
  }
  return `${select} AND false`;
}


/**
 * Runs `change` (an UPDATE, INSERT or DELETE ... RETURNING the changed rows whole) and writes one change
 * event per returned row in the same statement, set-based: the count of events is the count of changes.
 */
async function changeWithEvents(db: Db, actor: Actor, change: string, kind: EntityKind, type: EventType): Promise<number> {
  const bind: unknown[] = [];
  const events = insertEventsSql({ from: 'changed', kind, type, actor: actorBinds(actor, bind) });
  return (await db.query(`WITH changed AS (${change}) ${events}`, bind)).rowCount ?? 0;
}

/** A record the run changed comes back as `created` when the run restored it (it reappears), else `updated`. */
function restoredOrUpdated(kind: 'user' | 'school', actor: string): string {
  return insertEventsSql({ from: 'changed', kind, type: { sql: `CASE WHEN t.was_deleted THEN '${kind}.created' ELSE '${kind}.updated' END` }, actor });
}

function wroteAny(counts: EntityCounts): boolean {
  return counts.created + counts.updated + counts.deleted + counts.restored > 0;
}

function percent(part: number, whole: number): string {
  return `${Math.round((part / whole) * 1000) / 10}%`;
}

/**
 * Whether the district of identity `i` (held since `since`) supplies its user's fields: no other district
 * holds the user since earlier (docs/districts.md, "the district that first held them"). Ties go to the lower
 * district id, so two runs never both claim a person.
 */
function ownsFields(userId: string, since: string, d: string): string {
  return `NOT EXISTS (
    SELECT 1 FROM user_roster_identities o
    WHERE o."userId" = ${userId} AND o."districtId" <> ${d} AND o."releasedAt" IS NULL
      AND (o."heldSince", o."districtId") < (${since}, ${d}))`;
}

/**
 * True when no other district holds anybody: every person of this district is then its own to supply,
 * decided once for the statement (an InitPlan, evaluated before the OR's per-row ownsFields probes, which
 * cost a second at 200,000 users when a single-district deployment re-runs its roster).
 */
function noOtherDistrict(d: string): string {
  return `NOT EXISTS (SELECT 1 FROM user_roster_identities x WHERE x."districtId" <> ${d} AND x."releasedAt" IS NULL)`;
}

/**
 * Applies the staged roster of one district with a handful of set-based statements, inside the caller's
 * transaction. Counts come from the statements themselves (RETURNING, row counts): nothing is written,
 * and no `updatedAt` moves, for a record whose values did not change.
 */
export async function applyRoster(db: Db, manifest: Manifest, options: ApplyOptions): Promise<ApplyResult> {
  const d = districtLiteral(options.districtId);
  const result: ApplyResult = {
    users: emptyUserCounts(),
    schools: emptyCounts(),
    memberships: emptyCounts(),
    otherOrgs: 0,
    otherOrgMemberships: 0,
  };

  // Temporary tables are never analyzed by autovacuum: without statistics the planner guesses their size.
  await db.query('ANALYZE stage_orgs; ANALYZE stage_users;');
  await rejectRepeats(db, 'stage_orgs', 'orgs.csv', 'sourcedId', (t) => `${t}.sourced_id`, 'sourcedId');
  await rejectRepeats(db, 'stage_users', 'users.csv', 'sourcedId', (t) => `${t}.sourced_id`, 'sourcedId');

  // OneRoster 1.1 keeps memberships in users.csv: one staged link per org of a valid user row.
  await db.query(`
    INSERT INTO stage_links (file, line, col, user_sourced_id, org_sourced_id, role, primary_role, status, valid)
    SELECT 'users.csv', u.line, 'orgSourcedIds', u.sourced_id, btrim(o.id), u.role, true, u.status, u.links_ok
    FROM stage_users u CROSS JOIN LATERAL unnest(string_to_array(u.org_sourced_ids, ',')) AS o (id)
    WHERE u.valid AND btrim(o.id) <> '';
    ANALYZE stage_links;`);

  // A user row matches this district's identity (held or released); `owner` says whether this district
  // supplies the person's fields. `new_user_id` is the id a row that creates a user will take.
  await db.query(`
    CREATE TEMP TABLE plan_schools ON COMMIT DROP AS
    SELECT o.line, o.sourced_id, o.name, o.code, s."schoolId" AS school_id, s."deletedAt" IS NOT NULL AS was_deleted
    FROM stage_orgs o LEFT JOIN schools s ON s."districtId" = ${d} AND s."sourcedId" = o.sourced_id
    WHERE o.type = 'school' AND o.valid AND o.status = 'active';
    CREATE TEMP TABLE plan_users ON COMMIT DROP AS
    SELECT su.line, su.sourced_id, su.first_name, su.last_name, su.email, su.user_name,
           i."userId" AS user_id, gen_random_uuid() AS new_user_id,
           coalesce(u."deletedAt" IS NOT NULL, false) AS was_deleted, coalesce(i."releasedAt" IS NOT NULL, false) AS was_released,
           false AS adopted,
           i."userId" IS NULL OR ${noOtherDistrict(d)} OR (i."releasedAt" IS NULL AND ${ownsFields('i."userId"', 'i."heldSince"', d)})
             OR (i."releasedAt" IS NOT NULL AND ${ownsFields('i."userId"', 'now()', d)}) AS owner,
           u."firstName" AS cur_first_name, u."lastName" AS cur_last_name, u.email AS cur_email, u."userName" AS cur_user_name,
           u."sourcedId" AS cur_sourced_id
    FROM stage_users su
    LEFT JOIN user_roster_identities i ON i."districtId" = ${d} AND i."sourcedId" = su.sourced_id
    LEFT JOIN users u ON u."userId" = i."userId"
    WHERE su.valid AND su.status = 'active';
    ANALYZE plan_schools; ANALYZE plan_users;
    CREATE TEMP TABLE gone_schools ON COMMIT DROP AS ${goneSql('schools', d, manifest.orgs)};
    CREATE TEMP TABLE gone_users ON COMMIT DROP AS ${goneSql('identities', d, manifest.users)};`);

  const refusal = await checkDeleteRatio(db, manifest, options, d);
  if (refusal) return { ...result, refused: refusal };

  await applySchools(db, d, options.actor, result);
  await applyUsers(db, d, options.actor, result);
  // Autovacuum has not seen the rows this transaction wrote: fresh statistics keep the joins below hashed.
  // A run that wrote no user or school (a re-run of the same roster) keeps the statistics the last run
  // committed, and spares the sampling of four tables.
  if (wroteAny(result.users) || result.users.released > 0 || wroteAny(result.schools) || result.memberships.deleted > 0) {
    await db.query('ANALYZE users; ANALYZE schools; ANALYZE user_schools; ANALYZE user_roster_identities;');
  }
  const linksMode = manifest.version === '1.1' ? manifest.users : manifest.roles;
  if (linksMode !== 'absent') await applyMemberships(db, d, manifest, linksMode, options.actor, result);
  result.otherOrgs = (await numbers<'n'>(db, `SELECT count(*) AS n FROM stage_orgs WHERE type <> 'school'`)).n;
  return result;
}

/**
 * docs/roster-sync.md#safety, per district: a bulk file that would delete too much of the district's roster is more
 * likely truncated than true. A district's users are the identities it holds.
 */
async function checkDeleteRatio(db: Db, manifest: Manifest, options: ApplyOptions, d: string): Promise<string | undefined> {
  if (options.force) return undefined;
  const counts = await numbers<'goneUsers' | 'liveUsers' | 'goneSchools' | 'liveSchools'>(
    db,
    `SELECT (SELECT count(*) FROM gone_users) AS "goneUsers",
            (SELECT count(*) FROM user_roster_identities WHERE "districtId" = ${d} AND "releasedAt" IS NULL) AS "liveUsers",
            (SELECT count(*) FROM gone_schools) AS "goneSchools",
            (SELECT count(*) FROM schools WHERE "districtId" = ${d} AND "deletedAt" IS NULL) AS "liveSchools"`,
  );
  const limit = options.maxDeleteRatio;
  const reasons: string[] = [];
  const check = (mode: FileMode, gone: number, live: number, what: string) => {
    if (mode === 'bulk' && live > 0 && gone / live > limit) {
      reasons.push(`delete ${gone} of ${live} live roster ${what} (${percent(gone, live)})`);
    }
  };
  check(manifest.users, counts.goneUsers, counts.liveUsers, 'users');
  check(manifest.orgs, counts.goneSchools, counts.liveSchools, 'schools');
  if (reasons.length === 0) return undefined;
  return `This bulk run would ${reasons.join(' and ')}, more than ${options.maxDeleteRatioName} (${percent(limit, 1)}); nothing was applied. Run it again with force to apply it.`;
}

async function applySchools(db: Db, d: string, actor: Actor, result: ApplyResult): Promise<void> {
  const counts = result.schools;
  counts.deleted = await changeWithEvents(db, actor, `
    UPDATE schools SET "deletedAt" = now(), "updatedAt" = now() WHERE "schoolId" IN (SELECT id FROM gone_schools) RETURNING *`, 'school', 'school.deleted');
  result.memberships.deleted += await changeWithEvents(db, actor, `
    DELETE FROM user_schools WHERE "districtId" = ${d} AND "schoolSchoolId" IN (SELECT id FROM gone_schools) RETURNING *`, 'membership', 'membership.deleted');

  // A code must stay unique among live schools: an identifier already used (in the file or by another
  // school) leaves this school without a code rather than failing the run.
  await db.query(`
    WITH ranked AS (
      SELECT line, code, min(line) OVER (PARTITION BY code) AS first FROM plan_schools WHERE code IS NOT NULL
    ), cleared AS (
      UPDATE plan_schools p SET code = NULL FROM ranked r WHERE p.line = r.line AND r.line > r.first RETURNING r.line, r.code, r.first
    )
    INSERT INTO sync_errors
    SELECT 'orgs.csv', line, 'identifier', format('identifier is also on line %s; the school is imported without a code', first)
    FROM cleared`);
  await db.query(`
    WITH taken AS (
      SELECT p.line, p.code FROM plan_schools p
      WHERE p.code IS NOT NULL AND EXISTS (
        SELECT 1 FROM schools s WHERE s.code = p.code AND s."deletedAt" IS NULL AND s."schoolId" IS DISTINCT FROM p.school_id)
    ), cleared AS (
      UPDATE plan_schools p SET code = NULL FROM taken t WHERE p.line = t.line RETURNING t.line, t.code
    )
    INSERT INTO sync_errors
    SELECT 'orgs.csv', line, 'identifier', 'identifier is the code of another school; the school is imported without a code'
    FROM cleared`);

  const bind: unknown[] = [];
  const changed = await numbers<'restored' | 'updated' | 'matched'>(db, `
    WITH changed AS (
      UPDATE schools s SET name = p.name, code = p.code, "deletedAt" = NULL, "updatedAt" = now()
      FROM plan_schools p
      WHERE s."schoolId" = p.school_id
        AND (p.was_deleted OR s.name IS DISTINCT FROM p.name OR s.code IS DISTINCT FROM p.code)
      RETURNING s.*, p.was_deleted
    ), events AS (${restoredOrUpdated('school', actorBinds(actor, bind))})
    SELECT count(*) FILTER (WHERE was_deleted) AS restored, count(*) FILTER (WHERE NOT was_deleted) AS updated,
           (SELECT count(*) FROM plan_schools WHERE school_id IS NOT NULL) AS matched
    FROM changed`, bind);
  counts.restored = changed.restored;
  counts.updated = changed.updated;
  counts.unchanged = changed.matched - changed.restored - changed.updated;
  counts.created = await changeWithEvents(db, actor, `
    INSERT INTO schools (name, code, "sourcedId", "districtId") SELECT name, code, sourced_id, ${d} FROM plan_schools WHERE school_id IS NULL
    RETURNING *`, 'school', 'school.created');
}

/** A row's fields that differ from the user's, as `(column, differs)` pairs for a LATERAL VALUES list. */
const FIELD_DIFFERENCES = `(VALUES
  ('givenName', p.first_name IS DISTINCT FROM p.cur_first_name), ('familyName', p.last_name IS DISTINCT FROM p.cur_last_name),
  ('email', p.email IS DISTINCT FROM p.cur_email), ('username', p.user_name IS DISTINCT FROM p.cur_user_name)) AS f (col, differs)`;

async function applyUsers(db: Db, d: string, actor: Actor, result: ApplyResult): Promise<void> {
  const counts = result.users;
  // The API's unique rules (email case-insensitively, userName) hold among the file's rows too.
  await rejectRepeats(db, 'plan_users', 'users.csv', 'email', (t) => `lower(${t}.email)`, 'email');
  await rejectRepeats(db, 'plan_users', 'users.csv', 'username', (t) => `${t}.user_name`, 'username');

  // A run that may create users first waits for any other district's run creating users to commit, then
  // adopts what it committed: two SISes often share userNames (and the guest lecturer's email), and two
  // runs inserting the same value at once fail one another, again on every retry while others keep
  // starting (bench/districts.ts: 20 districts' first imports, 4 at a time). Taken before any row lock,
  // and only by runs that create, so it closes no cycle with them; a run that creates nobody never waits.
  await db.query(`SELECT pg_advisory_xact_lock(${ADVISORY_LOCKS.userCreation}) FROM plan_users WHERE user_id IS NULL LIMIT 1`);

  // Adoption (docs/districts.md): a row with no identity here whose email is a live user's that this district does
  // not know yet (made through the API, or held by another district) becomes that user. When another
  // district holds them, it keeps supplying their fields.
  await db.query(`
    UPDATE plan_users p
    SET user_id = u."userId", adopted = true, owner = ${ownsFields('u."userId"', 'now()', d)},
        cur_first_name = u."firstName", cur_last_name = u."lastName", cur_email = u.email, cur_user_name = u."userName",
        cur_sourced_id = u."sourcedId"
    FROM users u
    WHERE p.user_id IS NULL AND p.email IS NOT NULL
      AND u."deletedAt" IS NULL AND lower(u.email) = lower(p.email)
      AND NOT EXISTS (SELECT 1 FROM user_roster_identities x WHERE x."userId" = u."userId" AND x."districtId" = ${d})`);

  // Every user row this run will write is locked first, in one statement in userId order: two districts'
  // runs sharing people then wait for each other instead of deadlocking, and a decision that depends on
  // the other districts (soft-delete when nobody holds the user, who supplies the fields) is taken after
  // the other run has committed, on what it committed.
  await db.query(`
    SELECT 1 FROM users WHERE "userId" IN (
      SELECT id FROM gone_users
      UNION ALL
      SELECT user_id FROM plan_users
      WHERE user_id IS NOT NULL AND (adopted OR was_released OR was_deleted OR (owner AND (
        first_name IS DISTINCT FROM cur_first_name OR last_name IS DISTINCT FROM cur_last_name OR email IS DISTINCT FROM cur_email
        OR user_name IS DISTINCT FROM cur_user_name OR sourced_id IS DISTINCT FROM cur_sourced_id))))
    ORDER BY "userId" FOR NO KEY UPDATE`);
  // A user adopted from under a run that soft-deleted them meanwhile is not adopted: the row makes a new user.
  await db.query(`
    UPDATE plan_users p SET user_id = NULL, adopted = false, owner = true
    FROM users u WHERE p.adopted AND u."userId" = p.user_id AND u."deletedAt" IS NOT NULL`);
  // A person this district takes (back) on may have been let go, or soft-deleted, by another district's
  // run while this one waited: who supplies their fields, and whether they need restoring, is read again.
  await db.query(`
    UPDATE plan_users p SET owner = ${ownsFields('p.user_id', 'now()', d)}, was_deleted = u."deletedAt" IS NOT NULL
    FROM users u WHERE (p.adopted OR p.was_released) AND u."userId" = p.user_id`);

  // This district lets go of the identities its roster no longer lists, and of their roster links. The
  // user is soft-deleted only when no district holds them any longer and they did not come from the API.
  // Identities are found by their primary key from an array, never joined: the statistics of a district
  // new to them say it has no rows, and a join then scanned the temporary table once per identity.
  await db.query(`
    UPDATE user_roster_identities SET "releasedAt" = now()
    WHERE "districtId" = ${d} AND "sourcedId" = ANY (ARRAY (SELECT sourced_id FROM gone_users))`);
  const releasedBind: unknown[] = [];
  const released = await numbers<'deleted' | 'released'>(db, `
    WITH deleted AS (
      UPDATE users u SET "deletedAt" = now(), "updatedAt" = now()
      WHERE u."userId" IN (SELECT id FROM gone_users) AND u."deletedAt" IS NULL AND u.source = 'roster'
        AND NOT EXISTS (SELECT 1 FROM user_roster_identities o WHERE o."userId" = u."userId" AND o."releasedAt" IS NULL)
      RETURNING u.*
    ), events AS (${insertEventsSql({ from: 'deleted', kind: 'user', type: 'user.deleted', actor: actorBinds(actor, releasedBind) })})
    SELECT (SELECT count(*) FROM deleted) AS deleted, (SELECT count(*) FROM gone_users) - (SELECT count(*) FROM deleted) AS released`, releasedBind);
  counts.deleted = released.deleted;
  counts.released = released.released;
  // A user who stays is known by the sourcedId of the district that now supplies their fields (none, for
  // an API user nobody holds any longer); a user whose sourcedId this changes has a `user.updated` event.
  const supplier = (u: string) => `(
      SELECT o."sourcedId" FROM user_roster_identities o WHERE o."userId" = ${u}."userId" AND o."releasedAt" IS NULL
      ORDER BY o."heldSince", o."districtId" LIMIT 1)`;
  await changeWithEvents(db, actor, `
    UPDATE users u SET "sourcedId" = ${supplier('u')}
    WHERE u."userId" IN (SELECT id FROM gone_users) AND u."deletedAt" IS NULL AND u."sourcedId" IS DISTINCT FROM ${supplier('u')}
    RETURNING u.*`, 'user', 'user.updated');
  result.memberships.deleted += await changeWithEvents(db, actor, `
    DELETE FROM user_schools WHERE "districtId" = ${d} AND "userUserId" IN (SELECT id FROM gone_users) RETURNING *`, 'membership', 'membership.deleted');

  // Checked after the deletions, which free their emails and user names.
  await rejectTakenUserValue(db, 'email');
  await rejectTakenUserValue(db, 'userName');

  // Two districts disagreeing about a person: the one that held them first keeps supplying the fields;
  // this run reports where its roster differs, naming the column, never the values.
  await db.query(`
    CREATE TEMP TABLE sync_notes ON COMMIT DROP AS
    SELECT 'users.csv'::text AS file, p.line, f.col,
           format('differs from the roster of district %s, which supplies this person''s fields; theirs is kept',
             (SELECT o."districtId" FROM user_roster_identities o WHERE o."userId" = p.user_id AND o."releasedAt" IS NULL
              AND o."districtId" <> ${d} ORDER BY o."heldSince", o."districtId" LIMIT 1)) AS message
    FROM plan_users p CROSS JOIN LATERAL ${FIELD_DIFFERENCES}
    WHERE p.user_id IS NOT NULL AND NOT p.owner AND f.differs`);

  const bind: unknown[] = [];
  const changed = await numbers<'restored' | 'updated' | 'matched'>(db, `
    WITH changed AS (
      UPDATE users u
      SET "firstName" = CASE WHEN p.owner THEN p.first_name ELSE u."firstName" END,
          "lastName" = CASE WHEN p.owner THEN p.last_name ELSE u."lastName" END,
          email = CASE WHEN p.owner THEN p.email ELSE u.email END,
          "userName" = CASE WHEN p.owner THEN p.user_name ELSE u."userName" END,
          "sourcedId" = CASE WHEN p.owner THEN p.sourced_id ELSE u."sourcedId" END,
          "deletedAt" = NULL, "updatedAt" = now()
      FROM plan_users p
      WHERE u."userId" = p.user_id
        AND (p.was_deleted OR (p.owner AND (p.adopted
             OR p.first_name IS DISTINCT FROM p.cur_first_name OR p.last_name IS DISTINCT FROM p.cur_last_name
             OR p.email IS DISTINCT FROM p.cur_email OR p.user_name IS DISTINCT FROM p.cur_user_name
             OR p.sourced_id IS DISTINCT FROM p.cur_sourced_id)))
      RETURNING u.*, p.was_deleted
    ), events AS (${restoredOrUpdated('user', actorBinds(actor, bind))})
    SELECT count(*) FILTER (WHERE was_deleted) AS restored, count(*) FILTER (WHERE NOT was_deleted) AS updated,
           (SELECT count(*) FROM plan_users WHERE user_id IS NOT NULL) AS matched
    FROM changed`, bind);
  counts.restored = changed.restored;
  counts.updated = changed.updated;
  counts.unchanged = changed.matched - changed.restored - changed.updated;
  // In email order, so that two runs creating the same new people wait on each other rather than deadlock.
  counts.created = await changeWithEvents(db, actor, `
    INSERT INTO users ("userId", "firstName", "lastName", email, "userName", "sourcedId", source)
    SELECT new_user_id, first_name, last_name, email, user_name, sourced_id, 'roster' FROM plan_users WHERE user_id IS NULL
    ORDER BY lower(email)
    RETURNING *`, 'user', 'user.created');

  // This district's identities: new ones for created and adopted users, released ones held again.
  counts.adopted = await rowCount(db, `
    INSERT INTO user_roster_identities ("districtId", "sourcedId", "userId")
    SELECT ${d}, sourced_id, coalesce(user_id, new_user_id) FROM plan_users WHERE user_id IS NULL OR adopted
    RETURNING 1`) - counts.created;
  await db.query(`
    UPDATE user_roster_identities SET "releasedAt" = NULL, "heldSince" = now()
    WHERE "districtId" = ${d} AND "sourcedId" = ANY (ARRAY (SELECT sourced_id FROM plan_users WHERE was_released))`);
}

async function applyMemberships(db: Db, d: string, manifest: Manifest, mode: FileMode, actor: Actor, result: ApplyResult): Promise<void> {
  const counts = result.memberships;
  // This district's users and schools by their sourcedIds (held identities of live users, live schools).
  const userOf = (sourcedId: string, live = true) => `
    user_roster_identities i JOIN users u ON u."userId" = i."userId"${live ? ' AND u."deletedAt" IS NULL' : ''}
      ON i."districtId" = ${d} AND i."sourcedId" = ${sourcedId}${live ? ' AND i."releasedAt" IS NULL' : ''}`;
  const schoolOf = (sourcedId: string, live = true) => `
    schools s ON s."districtId" = ${d} AND s."sourcedId" = ${sourcedId}${live ? ' AND s."deletedAt" IS NULL' : ''}`;
  // Each (user, school) pair once: an active row before a tobedeleted one, a primary role before a secondary.
  await db.query(`
    CREATE TEMP TABLE plan_links ON COMMIT DROP AS
    SELECT DISTINCT ON (u."userId", s."schoolId") u."userId" AS user_id, s."schoolId" AS school_id, l.role, l.status
    FROM stage_links l
    JOIN ${userOf('l.user_sourced_id')}
    JOIN ${schoolOf('l.org_sourced_id')}
    WHERE l.valid AND NOT EXISTS (SELECT 1 FROM stage_users su WHERE su.sourced_id = l.user_sourced_id AND NOT su.valid)
    ORDER BY u."userId", s."schoolId", l.status = 'active' DESC, l.primary_role DESC, l.line;
    CREATE INDEX ON plan_links (user_id, school_id);
    ANALYZE plan_links;`);

  await db.query(`
    INSERT INTO sync_errors
    SELECT l.file, l.line, l.col, 'the org is neither in orgs.csv nor a known school; this membership is skipped'
    FROM stage_links l
    WHERE l.valid AND l.status = 'active'
      AND NOT EXISTS (SELECT 1 FROM stage_orgs o WHERE o.sourced_id = l.org_sourced_id)
      AND NOT EXISTS (SELECT 1 FROM schools s WHERE s."districtId" = ${d} AND s."sourcedId" = l.org_sourced_id AND s."deletedAt" IS NULL)`);
  if (manifest.version === '1.2') {
    await db.query(`
      INSERT INTO sync_errors
      SELECT l.file, l.line, 'userSourcedId', 'the user is neither in users.csv nor a known user; this membership is skipped'
      FROM stage_links l
      WHERE l.valid AND l.status = 'active'
        AND NOT EXISTS (SELECT 1 FROM stage_users su WHERE su.sourced_id = l.user_sourced_id)
        AND NOT EXISTS (
          SELECT 1 FROM user_roster_identities i JOIN users u ON u."userId" = i."userId" AND u."deletedAt" IS NULL
          WHERE i."districtId" = ${d} AND i."sourcedId" = l.user_sourced_id AND i."releasedAt" IS NULL)`);
  }
  result.otherOrgMemberships = (await numbers<'n'>(db, `
    SELECT count(*) AS n FROM stage_links l
    WHERE l.valid AND l.status = 'active'
      AND EXISTS (SELECT 1 FROM stage_orgs o WHERE o.sourced_id = l.org_sourced_id AND o.type <> 'school')`)).n;

  // Links the run cannot judge (their user's row or their own row was bad) are kept as they are.
  await db.query(`
    CREATE TEMP TABLE keep_links ON COMMIT DROP AS
    SELECT u."userId" AS user_id, NULL::uuid AS school_id
    FROM stage_users su JOIN ${userOf('su.sourced_id', false)} WHERE NOT su.valid
    UNION ALL
    SELECT u."userId", s."schoolId"
    FROM stage_links l JOIN ${userOf('l.user_sourced_id', false)} JOIN ${schoolOf('l.org_sourced_id', false)}
    WHERE NOT l.valid`);
  const kept = `NOT EXISTS (SELECT 1 FROM keep_links k WHERE k.user_id = us."userUserId" AND (k.school_id IS NULL OR k.school_id = us."schoolSchoolId"))`;
  const listed = `EXISTS (SELECT 1 FROM plan_links p WHERE p.status = 'active' AND p.user_id = us."userUserId" AND p.school_id = us."schoolSchoolId")`;
  let scope: string;
  if (mode === 'bulk') {
    scope = `NOT ${listed}`;
  } else if (manifest.version === '1.1') {
    // A 1.1 delta row lists all of its user's orgs: links of that user it no longer lists are removed.
    scope = `NOT ${listed} AND us."userUserId" IN (
      SELECT u."userId" FROM stage_users su JOIN ${userOf('su.sourced_id', false)} WHERE su.valid AND su.status = 'active')`;
  } else {
    scope = `NOT ${listed} AND EXISTS (
      SELECT 1 FROM plan_links p WHERE p.status = 'tobedeleted' AND p.user_id = us."userUserId" AND p.school_id = us."schoolSchoolId")`;
  }
  // Only this district's own links: another district's, and the API's, are never touched. Removed before
  // the new links go in: the removal's anti-join then reads only the links that were there before the
  // run (on a first import, none) instead of every link the run has just added.
  counts.deleted += await changeWithEvents(
    db,
    actor,
    `DELETE FROM user_schools us WHERE us."districtId" = ${d} AND ${scope} AND ${kept} RETURNING us.*`,
    'membership',
    'membership.deleted',
  );

  // One pass over the listed pairs finds both the new ones and this district's links whose role changed;
  // a pair already linked through the API stays the API's link, with its role: the roster never takes it
  // over. Found before writing: an INSERT whose own anti-join read user_schools would rescan the rows it
  // is adding. The role update checks the row again, and ON CONFLICT covers a link the API adds meanwhile.
  await db.query(`
    CREATE TEMP TABLE link_changes ON COMMIT DROP AS
    SELECT p.user_id, p.school_id, p.role, us."userSchoolId" AS link_id
    FROM plan_links p LEFT JOIN user_schools us ON us."userUserId" = p.user_id AND us."schoolSchoolId" = p.school_id
    WHERE p.status = 'active' AND (us."userSchoolId" IS NULL OR (us."districtId" = ${d} AND us.role <> p.role))`);
  counts.updated = await changeWithEvents(db, actor, `
    UPDATE user_schools us SET role = c.role, "updatedAt" = now()
    FROM link_changes c
    WHERE c.link_id IS NOT NULL AND us."userSchoolId" = c.link_id AND us."districtId" = ${d} AND us.role <> c.role
    RETURNING us.*`, 'membership', 'membership.updated');
  counts.created = await changeWithEvents(db, actor, `
    INSERT INTO user_schools ("userUserId", "schoolSchoolId", role, source, "districtId")
    SELECT user_id, school_id, role, 'roster', ${d} FROM link_changes WHERE link_id IS NULL
    ON CONFLICT ("userUserId", "schoolSchoolId") DO NOTHING
    RETURNING *`, 'membership', 'membership.created');
  const planned = (await numbers<'n'>(db, `SELECT count(*) AS n FROM plan_links WHERE status = 'active'`)).n;
  counts.unchanged = planned - counts.created - counts.updated;
}
