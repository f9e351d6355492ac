import type { Migration } from './types';

/**
 * Serves housekeeping (docs/lifecycle.md#housekeeping-retention): "soft-deleted before the cutoff, oldest first" for users and schools.
 * Partial, so the index holds only the soft-deleted rows and costs live writes nothing. Sync runs and
 * Idempotency-Keys already have theirs (startedAt, expiresAt).
 *
 * CONCURRENTLY, one statement each (it cannot run inside a transaction), as in 0002: the migrate function
 * runs beside the live service.
 */
const INDEXES: Array<[name: string, definition: string]> = [
  ['users_deleted_at_idx', `users ("deletedAt") WHERE "deletedAt" IS NOT NULL`],
  ['schools_deleted_at_idx', `schools ("deletedAt") WHERE "deletedAt" IS NOT NULL`],
];

export const addRetentionIndexes: Migration = {
  name: '0006-add-retention-indexes',
  async up({ context: sequelize }) {
    for (const [name, definition] of INDEXES) {
      // A CONCURRENTLY build that failed leaves an INVALID index behind; drop it so a re-run rebuilds it.
      await sequelize.query(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
      await sequelize.query(`CREATE INDEX CONCURRENTLY ${name} ON ${definition}`);
    }
  },
  async down({ context: sequelize }) {
    for (const [name] of [...INDEXES].reverse()) {
      await sequelize.query(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
    }
  },
};
