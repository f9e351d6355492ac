import type { Migration } from './types';

/**
 * What the districts' routes and scheduler read (docs/districts.md):
 * - `districts."nextSyncAt"`: when the district's schedule next falls due; the sync-dispatch function
 *   sends every district whose time has come and moves it on (null: no schedule, or disabled);
 * - `schools_district_list_order_idx`: `GET /schools?districtId=` in the schools' keyset order, a
 *   district's page costing what the first page of the whole list costs. `GET /users?districtId=` walks
 *   the users' order index and probes each user's identity by the unique `(userId, districtId)`.
 * CONCURRENTLY, one statement each, as migration 0002: the API keeps writing schools meanwhile.
 */
export const addDistrictRoutes: Migration = {
  name: '0007-district-routes',
  async up({ context: sequelize }) {
    await sequelize.query(`ALTER TABLE districts ADD COLUMN IF NOT EXISTS "nextSyncAt" timestamptz`);
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
