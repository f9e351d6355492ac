/**
 * Every advisory lock key of the service, in one place so that no two uses share one by accident (the
 * first-district lock and the change feed's seal once did: unrelated transactions waited on each other).
 * Single-key locks (`pg_advisory_lock(bigint)`) and two-key locks (`pg_advisory_lock(int, int)`) are
 * different spaces; the numbers are unique across both anyway. Arbitrary and fixed: changing one while an
 * older version of the code still runs would let the two versions miss each other's lock.
 */
export const ADVISORY_LOCKS = {
  /** Session lock: one migration run at a time (shared/db/migrator.ts). */
  migration: 724_100_001,
  /** The class of the two-key session lock of one district's roster sync (shared/roster/sync.ts). */
  districtSync: 724_100_004,
  /** Transaction lock: the change feed's seal, which orders commits (shared/changes/seal.ts). */
  changeSeal: 724_100_005,
  /** Transaction lock: roster syncs that create users take turns (shared/roster/apply.ts). */
  userCreation: 724_100_006,
  /** Session lock: a deployment with no district makes its first one once (shared/roster/districts.ts). */
  firstDistrict: 724_100_007,
} as const;
