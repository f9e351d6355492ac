import { QueryTypes, type Transaction } from 'sequelize';
import { config } from '../config';
import { toHttpError } from '../db/errors';
import { getSequelize } from '../db/sequelize';
import { ConflictError, NotFoundError, ValidationError } from '../errors';
import { assertReachableUrl, UnsafeAddressError } from '../net/address-guard';
import { nextSyncTime } from '../roster/next-sync';
import {
  encodeCursor,
  type CreateDistrictInput,
  type DistrictDto,
  type DistrictListInput,
  type Page,
  type PatchDistrictInput,
  type SyncRunDetailDto,
  type SyncRunDto,
  type SyncRunListInput,
} from '../schemas';

/** A district as the table holds it. */
interface DistrictRow {
  districtId: string;
  name: string;
  rosterSource: string | null;
  syncSchedule: string | null;
  maxDeleteRatio: number | null;
  enabled: boolean;
  nextSyncAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

const DISTRICT_COLUMNS = `"districtId", "name", "rosterSource", "syncSchedule", "maxDeleteRatio", "enabled", "nextSyncAt", "createdAt", "updatedAt"`;

function toDistrictDto(row: DistrictRow): DistrictDto {
  return {
    districtId: row.districtId,
    name: row.name,
    rosterSource: row.rosterSource,
    syncSchedule: row.syncSchedule,
    maxDeleteRatio: row.maxDeleteRatio,
    enabled: row.enabled,
    nextSyncAt: row.nextSyncAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** The fields a client sets, in the order of their bind parameters. */
type Settable = Pick<DistrictRow, 'name' | 'rosterSource' | 'syncSchedule' | 'maxDeleteRatio' | 'enabled'>;
const SETTABLE = ['name', 'rosterSource', 'syncSchedule', 'maxDeleteRatio', 'enabled'] as const;

/**
 * When a district's schedule first falls due: a rate at once (the next sync-dispatch sends it), a cron
 * at its next time; null when the district is not scheduled (disabled, or no source or schedule).
 */
function firstSyncAt(district: Settable, now: Date): Date | null {
  if (!district.enabled || !district.rosterSource || !district.syncSchedule) return null;
  return district.syncSchedule.startsWith('rate(') ? now : nextSyncTime(district.syncSchedule, now);
}

/**
 * A OneRoster REST source must be one the sync may reach: deployed, https to public addresses only
 * (shared/net/address-guard.ts), checked when the district is saved as well as before every request.
 * @throws ValidationError naming rosterSource
 */
async function checkRosterSource(rosterSource: string | null | undefined): Promise<void> {
  if (!rosterSource || rosterSource.startsWith('s3://')) return;
  try {
    await assertReachableUrl(rosterSource, { deployed: config.deployed });
  } catch (error) {
    if (!(error instanceof UnsafeAddressError)) throw error;
    throw new ValidationError([{ path: 'rosterSource', message: error.message }]);
  }
}

async function selectDistrict(districtId: string, transaction?: Transaction, forUpdate = false): Promise<DistrictRow> {
  const [row] = await getSequelize().query<DistrictRow>(
    `SELECT ${DISTRICT_COLUMNS} FROM districts WHERE "districtId" = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    { bind: [districtId], type: QueryTypes.SELECT, transaction },
  );
  if (!row) throw new NotFoundError(`No district ${districtId}.`);
  return row;
}

/**
 * Creates a district (docs/districts.md#routes); enabled unless said otherwise.
 * @throws ValidationError when the roster source is a host the sync may not reach
 */
export async function createDistrict(input: CreateDistrictInput): Promise<DistrictDto> {
  await checkRosterSource(input.rosterSource);
  const district: Settable = {
    name: input.name,
    rosterSource: input.rosterSource ?? null,
    syncSchedule: input.syncSchedule ?? null,
    maxDeleteRatio: input.maxDeleteRatio ?? null,
    enabled: input.enabled ?? true,
  };
  try {
    const [row] = await getSequelize().query<DistrictRow>(
      `INSERT INTO districts ("name", "rosterSource", "syncSchedule", "maxDeleteRatio", "enabled", "nextSyncAt")
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${DISTRICT_COLUMNS}`,
      { bind: [...SETTABLE.map((field) => district[field]), firstSyncAt(district, new Date())], type: QueryTypes.SELECT },
    );
    return toDistrictDto(row);
  } catch (error) {
    throw toHttpError(error, 'district');
  }
}

/**
 * Reads one district.
 * @throws NotFoundError when there is none
 */
export async function getDistrict(districtId: string): Promise<DistrictDto> {
  return toDistrictDto(await selectDistrict(districtId));
}

/** A page of districts by name, districtId (a deployment holds tens or hundreds: no index needed). */
export async function listDistricts(input: DistrictListInput): Promise<Page<DistrictDto>> {
  const bind: unknown[] = [];
  let after = '';
  if (input.cursor) {
    bind.push(input.cursor.name, input.cursor.districtId);
    after = `WHERE ("name", "districtId") > ($1::varchar, $2::uuid)`;
  }
  bind.push(input.limit + 1);
  const rows = await getSequelize().query<DistrictRow>(
    `SELECT ${DISTRICT_COLUMNS} FROM districts ${after} ORDER BY "name", "districtId" LIMIT $${bind.length}`,
    { bind, type: QueryTypes.SELECT },
  );
  const items = rows.slice(0, input.limit);
  const last = items.at(-1);
  return {
    items: items.map(toDistrictDto),
    nextCursor: rows.length > input.limit && last ? encodeCursor({ name: last.name, districtId: last.districtId }) : null,
  };
}

/**
 * Applies a JSON Merge Patch to a district: `null` clears an optional field; a patch that changes
 * nothing leaves the district (and its updatedAt) as it was. A new schedule, source or `enabled`
 * moves `nextSyncAt` to what the new settings say.
 * @throws NotFoundError when there is none
 * @throws ValidationError when the roster source is a host the sync may not reach
 */
export async function patchDistrict(districtId: string, patch: PatchDistrictInput): Promise<DistrictDto> {
  await checkRosterSource(patch.rosterSource);
  return getSequelize().transaction(async (transaction) => {
    const current = await selectDistrict(districtId, transaction, true);
    const next: Settable = { ...current };
    for (const field of SETTABLE) {
      if (patch[field] !== undefined) (next as Record<string, unknown>)[field] = patch[field];
    }
    if (SETTABLE.every((field) => next[field] === current[field])) return toDistrictDto(current);
    const scheduleChanged = next.syncSchedule !== current.syncSchedule || next.enabled !== current.enabled || next.rosterSource !== current.rosterSource;
    const nextSyncAt = scheduleChanged ? firstSyncAt(next, new Date()) : current.nextSyncAt;
    const [row] = await getSequelize().query<DistrictRow>(
      `UPDATE districts SET "name" = $2, "rosterSource" = $3, "syncSchedule" = $4, "maxDeleteRatio" = $5, "enabled" = $6,
         "nextSyncAt" = $7, "updatedAt" = now()
       WHERE "districtId" = $1 RETURNING ${DISTRICT_COLUMNS}`,
      { bind: [districtId, ...SETTABLE.map((field) => next[field]), nextSyncAt], type: QueryTypes.SELECT, transaction },
    );
    return toDistrictDto(row);
  });
}

/**
 * Deletes a district that holds no live record: no live school, no identity of a live user, no roster
 * membership. Its released identities, its soft-deleted schools' link to it and its run records go
 * with it (migration 0005). The district's row is locked first, so a sync of it that is writing
 * finishes before the check, and one that starts after it fails on the missing district.
 * @throws NotFoundError when there is none
 * @throws ConflictError naming what the district still holds
 */
export async function deleteDistrict(districtId: string): Promise<void> {
  await getSequelize().transaction(async (transaction) => {
    await selectDistrict(districtId, transaction, true);
    const [held] = await getSequelize().query<{ schools: string; users: string; memberships: string }>(
      `SELECT (SELECT count(*) FROM schools WHERE "districtId" = $1 AND "deletedAt" IS NULL) AS schools,
              (SELECT count(*) FROM user_roster_identities i JOIN users u ON u."userId" = i."userId"
                WHERE i."districtId" = $1 AND i."releasedAt" IS NULL AND u."deletedAt" IS NULL) AS users,
              (SELECT count(*) FROM user_schools WHERE "districtId" = $1) AS memberships`,
      { bind: [districtId], type: QueryTypes.SELECT, transaction },
    );
    const holds = (['schools', 'users', 'memberships'] as const).filter((kind) => Number(held[kind]) > 0).map((kind) => `${held[kind]} live ${kind}`);
    if (holds.length > 0) {
      throw new ConflictError(
        `District ${districtId} still holds ${holds.join(', ')}: sync it with an empty bulk roster (force) or remove them first.`,
      );
    }
    await getSequelize().query(`DELETE FROM districts WHERE "districtId" = $1`, { bind: [districtId], transaction });
  });
}

interface SyncRunRow {
  runId: string;
  districtId: string;
  status: SyncRunDto['status'];
  source: string | null;
  force: boolean;
  startedAt: Date;
  finishedAt: Date | null;
  /** startedAt to the microsecond, as the cursor carries it. */
  startedAtKey: string;
  summary?: Record<string, unknown> | null;
}

const RUN_COLUMNS = `r.id AS "runId", r."districtId", r.status, r.source, r."force", r."startedAt", r."finishedAt",
  to_char(r."startedAt" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' AS "startedAtKey"`;

function toSyncRunDto(row: SyncRunRow): SyncRunDto {
  return {
    runId: row.runId,
    districtId: row.districtId,
    status: row.status,
    source: row.source,
    force: row.force,
    startedAt: row.startedAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
  };
}

/**
 * A page of a district's sync runs, newest first (served by roster_sync_runs_district_idx).
 * @throws NotFoundError when the district does not exist
 */
export async function listSyncRuns(districtId: string, input: SyncRunListInput): Promise<Page<SyncRunDto>> {
  await selectDistrict(districtId);
  const bind: unknown[] = [districtId];
  let after = '';
  if (input.cursor) {
    bind.push(input.cursor.startedAt, input.cursor.runId);
    after = `AND (r."startedAt", r.id) < ($2::timestamptz, $3::uuid)`;
  }
  bind.push(input.limit + 1);
  const rows = await getSequelize().query<SyncRunRow>(
    `SELECT ${RUN_COLUMNS} FROM roster_sync_runs r WHERE r."districtId" = $1 ${after}
     ORDER BY r."startedAt" DESC, r.id DESC LIMIT $${bind.length}`,
    { bind, type: QueryTypes.SELECT },
  );
  const items = rows.slice(0, input.limit);
  const last = items.at(-1);
  return {
    items: items.map(toSyncRunDto),
    nextCursor: rows.length > input.limit && last ? encodeCursor({ startedAt: last.startedAtKey, runId: last.runId }) : null,
  };
}

/**
 * One run of a district, with its summary.
 * @throws NotFoundError when the district has no such run
 */
export async function getSyncRun(districtId: string, runId: string): Promise<SyncRunDetailDto> {
  const [row] = await getSequelize().query<SyncRunRow>(
    `SELECT ${RUN_COLUMNS}, r.summary FROM roster_sync_runs r WHERE r."districtId" = $1 AND r.id = $2`,
    { bind: [districtId, runId], type: QueryTypes.SELECT },
  );
  if (!row) throw new NotFoundError(`District ${districtId} has no sync run ${runId}.`);
  return { ...toSyncRunDto(row), summary: row.summary ?? null };
}
