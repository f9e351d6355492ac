import { createIndexesConcurrently, dropIndexesConcurrently, type IndexDefinition, type Migration } from './types';

/**
 * Serves housekeeping (docs/lifecycle.md#housekeeping-retention): "soft-deleted before the cutoff, oldest first" for users and schools.
 * Partial, so the index holds only the soft-deleted rows and costs live writes nothing. Sync runs and
 * Idempotency-Keys already have theirs (startedAt, expiresAt).
 *
 * CONCURRENTLY, one statement each (it cannot run inside a transaction), as in 0002: the migrate function
 * runs beside the live service.
 */
const INDEXES: IndexDefinition[] = [
  ['users_deleted_at_idx', `users ("deletedAt") WHERE "deletedAt" IS NOT NULL`],
  ['schools_deleted_at_idx', `schools ("deletedAt") WHERE "deletedAt" IS NOT NULL`],
];

export const addRetentionIndexes: Migration = {
  name: '0006-add-retention-indexes',
  async up({ context: sequelize }) {
    await createIndexesConcurrently(sequelize, INDEXES);
  },
  async down({ context: sequelize }) {
    await dropIndexesConcurrently(sequelize, INDEXES);
  },
};
