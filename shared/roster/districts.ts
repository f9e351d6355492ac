import type pg from 'pg';
import { config } from '../config';
import { RosterInputError } from './errors';
import { nextSyncTime } from './next-sync';
import { scheduleProblem } from './schedule';
import { ADVISORY_LOCKS } from '../db/advisory-locks';

/** What a sync needs of its district. */
interface SyncDistrict {
  districtId: string;
  rosterSource: string | null;
  maxDeleteRatio: number | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const COLUMNS = `"districtId", "rosterSource", "maxDeleteRatio"`;

/**
 * The district a run syncs (docs/districts.md): the one named; else the deployment's only district; else, in a
 * deployment with none yet, a first one made now (named after the stage, ROSTER_SOURCE as its source,
 * ROSTER_SYNC_SCHEDULE as its schedule), as the upgrade migrations make for a deployment that already
 * has a roster. With several districts a run must name one.
 * @throws RosterInputError when the named district does not exist, or none is named among several
 */
export async function resolveSyncDistrict(db: pg.ClientBase, districtId: string | undefined): Promise<SyncDistrict> {
  if (districtId !== undefined) {
    const { rows } = UUID.test(districtId)
      ? await db.query<SyncDistrict>(`SELECT ${COLUMNS} FROM districts WHERE "districtId" = $1`, [districtId])
      : { rows: [] };
    if (rows.length === 0) throw new RosterInputError(`No district ${districtId}.`);
    return rows[0];
  }
  // Two first runs at once must not make two districts.
  await db.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCKS.firstDistrict]);
  try {
    const { rows } = await db.query<SyncDistrict>(`SELECT ${COLUMNS} FROM districts ORDER BY "createdAt" LIMIT 2`);
    if (rows.length > 1) {
      throw new RosterInputError('This deployment has several districts: name the one to sync (npm run sync -- --district <id> <source>, or districtId in the event).');
    }
    if (rows.length === 1) return rows[0];
    const schedule = config.roster.schedule && !scheduleProblem(config.roster.schedule) ? config.roster.schedule : null;
    const created = await db.query<SyncDistrict>(
      `INSERT INTO districts (name, "rosterSource", "syncSchedule", "nextSyncAt") VALUES ($1, $2, $3, $4) RETURNING ${COLUMNS}`,
      [`Roster of the ${config.stage} deployment`, config.roster.source ?? null, schedule, schedule ? nextSyncTime(schedule, new Date()) : null],
    );
    return created.rows[0];
  } finally {
    await db.query('SELECT pg_advisory_unlock($1)', [ADVISORY_LOCKS.firstDistrict]);
  }
}

/**
 * The key of a district's sync lock: the lock's fixed class and 32 bits of the district's id, so that
 * each district's runs exclude each other and nobody else's (two ids sharing their first 32 bits would
 * only make one skip while the other runs).
 */
export function districtLockKey(districtId: string): number {
  return Number.parseInt(districtId.slice(0, 8), 16) | 0;
}
