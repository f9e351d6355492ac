/** A roster row that was skipped (or applied in part), as docs/roster-sync.md#runs reports it. */
export interface RowError {
  file: string;
  /** The line the row starts on in the file, the header being line 1. */
  line: number;
  column: string;
  message: string;
}

export interface EntityCounts {
  created: number;
  updated: number;
  unchanged: number;
  deleted: number;
  restored: number;
}

export interface UserCounts extends EntityCounts {
  /** Users this district's roster took over from the API or from another district, matched by email. */
  adopted: number;
  /** Users this district let go that stay live: another district holds them, or they came from the API. */
  released: number;
}

export type RunStatus = 'succeeded' | 'failed' | 'refused' | 'skipped';

/** Where a run's roster came from: a SIS's OneRoster REST service, an S3 export, or a local folder or zip. */
export type SourceKind = 'oneroster-rest' | 's3' | 'file';

export interface SyncSummary {
  runId: string | null;
  status: RunStatus;
  source: string | null;
  sourceKind?: SourceKind;
  force: boolean;
  /** Why a run failed, was refused or skipped. */
  reason?: string;
  version?: string;
  modes?: { orgs: string; users: string; roles: string };
  /** The district synced; null when the run could not tell which. */
  districtId: string | null;
  users: UserCounts;
  schools: EntityCounts;
  memberships: EntityCounts;
  /** Orgs of other types than `school` (district, department...), counted and not imported. */
  otherOrgs: number;
  /** Memberships naming such an org, skipped without an error. */
  otherOrgMemberships: number;
  /** The first MAX_REPORTED_ERRORS bad rows, in file and line order; `errorCount` counts them all. */
  errors: RowError[];
  errorCount: number;
  /**
   * Rows of a person another district's roster supplies the fields of, whose values differ here: theirs
   * are kept (file, line and the column, never the values). The first MAX_REPORTED_ERRORS; `noteCount`
   * counts them all.
   */
  notes: RowError[];
  noteCount: number;
  durationMs: number;
}

/** Kept in the summary and the run record; the count covers the rest, so a broken export cannot bloat either. */
export const MAX_REPORTED_ERRORS = 1000;

export interface SyncProgress {
  /** `reading <file>`, `applying`, then `done`. */
  phase: string;
  /** Rows read so far, all files together. */
  rows: number;
}

export function emptyCounts(): EntityCounts {
  return { created: 0, updated: 0, unchanged: 0, deleted: 0, restored: 0 };
}

export function emptyUserCounts(): UserCounts {
  return { ...emptyCounts(), adopted: 0, released: 0 };
}
