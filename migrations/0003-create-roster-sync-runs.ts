import type { Migration } from './types';

/**
 * One row per roster sync run (docs/roster-sync.md#runs): written as `running` when a run takes the lock, finished with
 * its status and summary. A run killed mid-apply leaves `running`; the next run marks it `interrupted`.
 */
export const createRosterSyncRuns: Migration = {
  name: '0003-create-roster-sync-runs',
  async up({ context: sequelize }) {
    await sequelize.query(`
      CREATE TABLE roster_sync_runs (
        "id"         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        "startedAt"  timestamptz NOT NULL DEFAULT now(),
        "finishedAt" timestamptz,
        "status"     varchar(16) NOT NULL
                     CHECK ("status" IN ('running', 'succeeded', 'failed', 'refused', 'skipped', 'interrupted')),
        "source"     text,
        "force"      boolean NOT NULL DEFAULT false,
        "summary"    jsonb
      );
      CREATE INDEX roster_sync_runs_started_at_idx ON roster_sync_runs ("startedAt" DESC);
    `);
  },
  async down({ context: sequelize }) {
    await sequelize.query('DROP TABLE roster_sync_runs;');
  },
};
