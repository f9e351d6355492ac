import { createRosterSchema } from './0001-create-roster-schema';
import { addListIndexes } from './0002-add-list-indexes';
import { createRosterSyncRuns } from './0003-create-roster-sync-runs';
import { createIdempotencyKeys } from './0004-create-idempotency-keys';
import { addDistricts } from './0005-add-districts';
import { addRetentionIndexes } from './0006-add-retention-indexes';
import { addDistrictRoutes } from './0007-district-routes';
import { createChangeFeed } from './0008-create-change-feed';
import { addOneRoster } from './0009-oneroster';
import type { Migration } from './types';

/**
 * Every migration, in order. An explicit list rather than a glob so the bundled `migrate` function
 * carries them all; a new migration is appended here.
 */
export const migrations: Migration[] = [
  createRosterSchema,
  addListIndexes,
  createRosterSyncRuns,
  createIdempotencyKeys,
  addDistricts,
  addRetentionIndexes,
  addDistrictRoutes,
  createChangeFeed,
  addOneRoster,
];
