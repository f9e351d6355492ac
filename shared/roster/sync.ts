import type pg from 'pg';
import { sealChanges } from '../changes/seal';
import { ADVISORY_LOCKS } from '../db/advisory-locks';
import { config } from '../config';
import { openSyncConnection } from '../db/sync-connection';
import { logger, scrub } from '../logger';
import { applyRoster, type ApplyOptions, type ApplyResult } from './apply';
import { districtLockKey, resolveSyncDistrict } from './districts';
import { RosterInputError } from './errors';
import { readManifest, type Manifest } from './manifest';
import { ErrorLog } from './rows';
import type { RosterSource } from './source';
import { pullDistrictRoster } from './pull';
import { isOneRosterRestUrl } from './rest-url';
import { openRosterSource } from './sources';
import { createStagingTables, stageOrgs, stageRoles, stageUsers, type StagingContext } from './staging';
import { emptyCounts, emptyUserCounts, MAX_REPORTED_ERRORS, type RowError, type RunStatus, type SourceKind, type SyncProgress, type SyncSummary } from './types';

/** The class of the advisory locks that let one roster sync run at a time per district (the second key is the district's, shared/roster/districts.ts). */
const SYNC_LOCK_KEY = ADVISORY_LOCKS.districtSync;

/**
 * How often one run applies its roster again after a deadlock or a unique violation: both come from
 * another district's run committing the same new person (or email, or userName) meanwhile, and the next
 * try sees what it committed. Each try can only meet the commits of runs that overlap it: 20 districts'
 * first imports, 4 at a time, with colliding userNames needed up to 3 tries (bench/districts.ts).
 */
const APPLY_ATTEMPTS = 10;

export interface SyncOptions {
  /** The district to sync; the deployment's only district when not given (shared/roster/districts.ts). */
  districtId?: string;
  /** The roster's location; the district's `rosterSource` when not given. */
  source?: string;
  /**
   * A roster already read from elsewhere (a OneRoster REST pull, shared/roster/oneroster-rest.ts), used
   * instead of opening `source`; the run closes it, whatever its outcome. Pulled before the run, a slow
   * SIS never holds the lock or a transaction open.
   */
  rosterSource?: RosterSource;
  /** Applies a bulk run that the delete-ratio safety would refuse. */
  force?: boolean;
  onProgress?: (progress: SyncProgress) => void;
}

type RunRecord = Omit<SyncSummary, 'runId' | 'durationMs'>;

/** What kind of source a run read, for its record: the location alone does not say it at a glance. */
function sourceKindOf(location: string): SourceKind {
  if (isOneRosterRestUrl(location)) return 'oneroster-rest';
  return location.startsWith('s3://') ? 's3' : 'file';
}

function blankRun(source: string | null, force: boolean): RunRecord {
  return {
    status: 'failed',
    districtId: null,
    source,
    force,
    users: emptyUserCounts(),
    schools: emptyCounts(),
    memberships: emptyCounts(),
    otherOrgs: 0,
    otherOrgMemberships: 0,
    errors: [],
    errorCount: 0,
    notes: [],
    noteCount: 0,
  };
}

async function insertRun(db: pg.ClientBase, status: RunStatus | 'running', run: RunRecord): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO roster_sync_runs (status, source, "force", "districtId", "finishedAt")
     VALUES ($1, $2, $3, $4, CASE WHEN $5::boolean THEN now() END) RETURNING id`,
    [status, run.source, run.force, run.districtId, status !== 'running'],
  );
  return rows[0].id;
}

async function finishRun(db: pg.ClientBase, id: string, summary: SyncSummary): Promise<void> {
  await db.query(`UPDATE roster_sync_runs SET status = $2, "finishedAt" = now(), summary = $3 WHERE id = $1`, [
    id,
    summary.status,
    JSON.stringify(summary),
  ]);
}

async function collectErrors(db: pg.ClientBase, log: ErrorLog): Promise<{ errors: RowError[]; errorCount: number }> {
  // Reported in the order the files are read, then by line.
  const order = ['orgs.csv', 'users.csv', 'roles.csv'];
  const { rows } = await db.query<RowError>(
    `SELECT file, line, col AS column, message FROM sync_errors
     ORDER BY array_position($1::text[], file), line LIMIT ${MAX_REPORTED_ERRORS}`,
    [order],
  );
  const { rows: [total] } = await db.query<{ n: string }>('SELECT count(*) AS n FROM sync_errors');
  const errors = [...log.kept, ...rows]
    .sort((a, b) => order.indexOf(a.file) - order.indexOf(b.file) || a.line - b.line)
    .slice(0, MAX_REPORTED_ERRORS);
  return { errors, errorCount: log.count + Number(total.n) };
}

async function collectNotes(db: pg.ClientBase): Promise<{ notes: RowError[]; noteCount: number }> {
  const { rows } = await db.query<RowError>(`SELECT file, line, col AS column, message FROM sync_notes ORDER BY line, col LIMIT ${MAX_REPORTED_ERRORS}`);
  const { rows: [total] } = await db.query<{ n: string }>('SELECT count(*) AS n FROM sync_notes');
  return { notes: rows, noteCount: Number(total.n) };
}

/** SQLSTATEs of a conflict with another run that a new attempt resolves: deadlock_detected, unique_violation. */
const RETRIED_SQLSTATES = new Set(['40P01', '23505']);

/**
 * Applies the staged roster, again from a savepoint when another district's run committed a conflicting
 * change meanwhile (the same new person created by both, say): the staged rows stay, the attempt's own
 * writes are undone, and the next attempt sees the other run's.
 */
async function applyWithRetry(db: pg.ClientBase, manifest: Manifest, options: ApplyOptions): Promise<ApplyResult> {
  for (let attempt = 1; ; attempt++) {
    await db.query('SAVEPOINT apply');
    try {
      const applied = await applyRoster(db, manifest, options);
      await db.query('RELEASE SAVEPOINT apply');
      return applied;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (attempt >= APPLY_ATTEMPTS || !code || !RETRIED_SQLSTATES.has(code)) throw error;
      await db.query('ROLLBACK TO SAVEPOINT apply');
      logger.warn('roster sync retries its apply after a conflict with another run', { attempt, sqlState: code });
    }
  }
}

/** Streams the files the manifest names into the staging tables, reporting rows per second as it goes. */
async function stageRoster(db: pg.ClientBase, options: SyncOptions, manifest: Manifest, source: RosterSource, log: ErrorLog): Promise<void> {
  let rows = 0;
  const context: StagingContext = {
    client: db,
    source,
    errors: log,
    onRow: (file) => {
      rows++;
      if (rows % 5000 === 0) options.onProgress?.({ phase: `reading ${file}`, rows });
    },
  };
  await createStagingTables(db);
  if (manifest.orgs !== 'absent') await stageOrgs(context);
  if (manifest.users !== 'absent') await stageUsers(context, manifest.version);
  if (manifest.roles !== 'absent') await stageRoles(context);
  options.onProgress?.({ phase: 'applying', rows });
}

/**
 * One roster sync run of one district (docs/roster-sync.md, docs/districts.md): reads the roster, stages
 * it and applies it in one transaction, under the district's advisory lock so that a second run of the
 * same district at the same time returns `skipped` at once, while other districts' runs go on. Every run
 * is recorded in roster_sync_runs with its district. Bad input fails the run with a clear reason and
 * changes nothing.
 */
export async function runRosterSync(options: SyncOptions = {}): Promise<SyncSummary> {
  const started = Date.now();
  const force = options.force ?? false;
  const run = blankRun(options.rosterSource?.location ?? options.source ?? null, force);
  // The run's own connection, with the sync's timeouts: COPY, the run's transaction and the session lock
  // need one session, and the run records are written on it outside the transaction so that they
  // survive a rollback.
  // A source handed in is closed here when the run ends before reading it (no connection, skipped, or
  // failed early), so a pulled roster never outlives its run in the function's /tmp.
  let handedOver = options.rosterSource;
  const db = await openSyncConnection().catch(async (error: unknown) => {
    await handedOver?.close().catch(() => {});
    throw error;
  });
  let runId: string | null = null;
  let locked = false;
  let broken = false;
  const finish = async (): Promise<SyncSummary> => {
    const summary: SyncSummary = { runId, ...run, durationMs: Date.now() - started };
    if (runId && !broken) await finishRun(db, runId, summary);
    options.onProgress?.({ phase: 'done', rows: 0 });
    return summary;
  };
  let lockKey = 0;
  try {
    const district = await resolveSyncDistrict(db, options.districtId);
    run.districtId = district.districtId;
    // A deployment with one district keeps syncing ROSTER_SOURCE when the district names no source.
    const location = options.rosterSource?.location ?? options.source ?? district.rosterSource ?? (options.districtId ? null : config.roster.source) ?? null;
    run.source = location;
    run.sourceKind = location === null ? undefined : sourceKindOf(location);
    lockKey = districtLockKey(district.districtId);
    locked = (await db.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS locked', [SYNC_LOCK_KEY, lockKey])).rows[0].locked;
    if (!locked) {
      run.status = 'skipped';
      run.reason = 'Another roster sync of this district is running; this run did nothing.';
      runId = await insertRun(db, 'skipped', run);
      return await finish();
    }
    // The lock is ours: a run of this district still marked running was killed before it could say so.
    await db.query(`UPDATE roster_sync_runs SET status = 'interrupted', "finishedAt" = now() WHERE status = 'running' AND "districtId" = $1`, [
      district.districtId,
    ]);
    runId = await insertRun(db, 'running', run);
    if (!location) throw new RosterInputError('No roster source: set the district\'s rosterSource (or ROSTER_SOURCE) or pass a source');

    const log = new ErrorLog();
    // Opened (a REST roster pulled) under the district's lock, so two runs never pull one SIS at once,
    // but before the transaction: a slow SIS holds no snapshot or row lock open.
    const source = options.rosterSource ?? (isOneRosterRestUrl(location) ? await pullDistrictRoster(district.districtId, location) : await openRosterSource(location));
    handedOver = undefined;
    let applied: ApplyResult;
    try {
      await db.query('BEGIN');
      // The sync's budget, whatever a role or database default says (0: none); the connection already
      // carries it, this makes the transaction's bound explicit. A run killed mid-way is rolled back by the
      // server when its connection drops.
      await db.query(`SELECT set_config('statement_timeout', $1, true)`, [String(config.roster.syncTimeoutMs)]);
      // A client that died mid-run (a Lambda stopped at its timeout) is noticed within seconds, even during
      // a long statement, so its transaction is rolled back and its locks freed without waiting.
      await db.query(`SET LOCAL client_connection_check_interval = '2s'`);
      // Room for the hash joins and sorts over a whole district's rows to stay in memory.
      await db.query(`SET LOCAL work_mem = '64MB'`);
      const manifest = await readManifest(source);
      run.version = manifest.version;
      run.modes = { orgs: manifest.orgs, users: manifest.users, roles: manifest.roles };
      await stageRoster(db, options, manifest, source, log);
      applied = await applyWithRetry(db, manifest, {
        districtId: district.districtId,
        force,
        maxDeleteRatio: district.maxDeleteRatio ?? config.roster.maxDeleteRatio,
        maxDeleteRatioName: district.maxDeleteRatio === null ? 'ROSTER_MAX_DELETE_RATIO' : "the district's maxDeleteRatio",
        actor: { kind: 'roster', id: runId },
      });
    } finally {
      await source.close();
    }
    const { refused, ...counts } = applied;
    Object.assign(run, counts, await collectErrors(db, log), refused ? {} : await collectNotes(db));
    if (refused) {
      await db.query('ROLLBACK');
      run.status = 'refused';
      run.reason = refused;
    } else {
      await sealChanges(db);
      await db.query('COMMIT');
      run.status = 'succeeded';
    }
    return await finish();
  } catch (error) {
    broken = !(await db.query('ROLLBACK').then(
      () => true,
      () => false,
    ));
    run.status = 'failed';
    // The reason is stored in the run's record: emails a database message could quote are scrubbed.
    run.reason = error instanceof RosterInputError ? error.message : `The sync failed and changed nothing: ${scrub((error as Error).message)}`;
    // A run that failed before it was recorded (no such district, several to choose from) is recorded now.
    if (!runId && !broken) runId = await insertRun(db, 'failed', run).catch(() => null);
    // The log line carries the error's name, codes and stack, never its message or detail (describeError).
    if (!(error instanceof RosterInputError)) logger.error('roster sync failed', error as Error);
    return await finish();
  } finally {
    await handedOver?.close().catch(() => {});
    // Ending the session also drops its lock; unlocking first keeps the order explicit.
    if (locked && !broken) await db.query('SELECT pg_advisory_unlock($1, $2)', [SYNC_LOCK_KEY, lockKey]).catch(() => {});
    await db.end().catch(() => {});
  }
}
