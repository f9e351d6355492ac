import { QueryTypes } from 'sequelize';
import { config } from '../config';
import { getSequelize } from '../db/sequelize';
import { nextSyncTime } from './next-sync';

/** One sync the scheduler sends to the queue: the district's, or (no district yet) the deployment's first. */
export interface DueSync {
  districtId?: string;
}

/**
 * The syncs due now (docs/decisions/0020-scheduling-districts.md): every enabled district with a roster
 * source and a schedule whose `nextSyncAt` has come. Each is claimed in the same transaction: its
 * `nextSyncAt` moves to the schedule's next time after `now` (a rate counts from now, so a late or
 * missed dispatch never queues a backlog), and rows another dispatch is claiming are skipped, so two
 * overlapping dispatches never send a district twice. A deployment with no district yet and a
 * ROSTER_SOURCE and ROSTER_SYNC_SCHEDULE gets one sync without a district: its first run makes the
 * district (shared/roster/districts.ts), which the schedule then carries.
 */
export async function claimDueSyncs(now = new Date()): Promise<DueSync[]> {
  const sequelize = getSequelize();
  return sequelize.transaction(async (transaction) => {
    const due = await sequelize.query<{ districtId: string; syncSchedule: string }>(
      `SELECT "districtId", "syncSchedule" FROM districts
       WHERE enabled AND "rosterSource" IS NOT NULL AND "syncSchedule" IS NOT NULL AND "nextSyncAt" <= $1
       ORDER BY "nextSyncAt", "districtId" FOR UPDATE SKIP LOCKED`,
      { bind: [now], type: QueryTypes.SELECT, transaction },
    );
    for (const { districtId, syncSchedule } of due) {
      await sequelize.query(`UPDATE districts SET "nextSyncAt" = $2 WHERE "districtId" = $1`, {
        bind: [districtId, nextSyncTime(syncSchedule, now)],
        transaction,
      });
    }
    if (due.length > 0 || !config.roster.source || !config.roster.schedule) return due.map(({ districtId }) => ({ districtId }));
    const [{ any }] = await sequelize.query<{ any: boolean }>('SELECT EXISTS (SELECT 1 FROM districts) AS "any"', { type: QueryTypes.SELECT, transaction });
    return any ? [] : [{}];
  });
}

/** The districts a scheduler syncs: enabled, with a roster source and a schedule, oldest first. */
export async function listScheduledDistricts(): Promise<string[]> {
  const rows = await getSequelize().query<{ districtId: string }>(
    `SELECT "districtId" FROM districts WHERE enabled AND "rosterSource" IS NOT NULL AND "syncSchedule" IS NOT NULL ORDER BY "createdAt", "districtId"`,
    { type: QueryTypes.SELECT },
  );
  return rows.map((row) => row.districtId);
}
