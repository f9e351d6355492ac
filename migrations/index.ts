import { createRosterSchema } from './0001-create-roster-schema';
import { createRosterSyncRuns } from './0003-create-roster-sync-runs';
import type { Migration } from './types';

/**
 * Every migration, in order. An explicit list rather than a glob so the bundled `migrate` function
 * carries them all; a new migration is appended here.
 */
export const migrations: Migration[] = [createRosterSchema, createRosterSyncRuns];
