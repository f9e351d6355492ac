import type { Sequelize } from 'sequelize';
import type { Migration } from './types';

/**
 * What the districts' routes and scheduler read (docs/districts.md):
 * - `districts."nextSyncAt"`: when the district's schedule next falls due; the sync-dispatch function
 *   sends every district whose time has come and moves it on (null: no schedule, or disabled);
 * - `schools_district_list_order_idx`: `GET /schools?districtId=` in the schools' keyset order, a
 *   district's page costing what the first page of the whole list costs. `GET /users?districtId=` walks
 *   the users' order index and probes each user's identity by the unique `(userId, districtId)`.
 * CONCURRENTLY, one statement each, as migration 0002: the API keeps writing schools meanwhile.
 *
 * The single-district deployment keeps its schedule: the sync function's own schedule event gives way to
 * the districts' schedules (docs/decisions/0020-scheduling-districts.md), so the one district the
 * upgrade made (0005) gets ROSTER_SYNC_SCHEDULE, the schedule the deployment synced on, due at once.
 */
export const addDistrictRoutes: Migration = {
  name: '0007-district-routes',
  async up({ context: sequelize }) {
    await sequelize.query(`ALTER TABLE districts ADD COLUMN IF NOT EXISTS "nextSyncAt" timestamptz`);
    await keepTheDeploymentSchedule(sequelize);
    await sequelize.query('DROP INDEX CONCURRENTLY IF EXISTS schools_district_list_order_idx');
    await sequelize.query(
      `CREATE INDEX CONCURRENTLY schools_district_list_order_idx ON schools ("districtId", "name", "schoolId") WHERE "deletedAt" IS NULL`,
    );
  },
  async down({ context: sequelize }) {
    await sequelize.query('DROP INDEX CONCURRENTLY IF EXISTS schools_district_list_order_idx');
    await sequelize.query(`ALTER TABLE districts DROP COLUMN IF EXISTS "nextSyncAt"`);
  },
};

/**
 * Gives a deployment's only district, when it has none of its own, the deployment's schedule and
 * source (ROSTER_SOURCE: the scheduler sends only districts with a source).
 */
async function keepTheDeploymentSchedule(sequelize: Sequelize): Promise<void> {
  const [[{ count }]] = (await sequelize.query('SELECT count(*)::int AS count FROM districts')) as [Array<{ count: number }>, unknown];
  if (count !== 1) return;
  // Loaded only here, as in 0005: building an empty database needs no service configuration.
  const { config } = require('../shared/config') as typeof import('../shared/config');
  const { scheduleProblem } = require('../shared/roster/schedule') as typeof import('../shared/roster/schedule');
  await sequelize.query(`UPDATE districts SET "rosterSource" = $1 WHERE "rosterSource" IS NULL`, { bind: [config.roster.source ?? null] });
  const schedule = config.roster.schedule;
  if (!schedule || scheduleProblem(schedule)) return;
  await sequelize.query(`UPDATE districts SET "syncSchedule" = $1, "nextSyncAt" = now() WHERE "syncSchedule" IS NULL`, { bind: [schedule] });
}
