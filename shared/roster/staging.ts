import type pg from 'pg';
import { CopyWriter, type Cell } from './copy';
import { readCsv, type CsvRow } from './csv';
import type { RosterVersion } from './manifest';
import { type ErrorLog, parseRole, RowChecker } from './rows';
import type { RosterSource } from './source';

/**
 * Temporary tables for one run's rows, dropped at its commit or rollback. Invalid rows are kept with
 * `valid = false`: they are never applied, but they stop a bulk run from deleting the record they name
 * (a typo in an email must not delete the user).
 */
export async function createStagingTables(client: pg.ClientBase): Promise<void> {
  await client.query(`
    CREATE TEMP TABLE stage_orgs (
      line int, sourced_id text, name text, type text, code text, status text, valid boolean
    ) ON COMMIT DROP;
    CREATE TEMP TABLE stage_users (
      line int, sourced_id text, first_name text, last_name text, email text, user_name text, status text,
      valid boolean, org_sourced_ids text, role text, links_ok boolean
    ) ON COMMIT DROP;
    CREATE TEMP TABLE stage_links (
      file text, line int, col text, user_sourced_id text, org_sourced_id text, role text,
      primary_role boolean, status text, valid boolean
    ) ON COMMIT DROP;
    CREATE TEMP TABLE sync_errors (file text, line int, col text, message text) ON COMMIT DROP;
  `);
}

/** What every file of one run is staged with. */
export interface StagingContext {
  client: pg.ClientBase;
  source: RosterSource;
  errors: ErrorLog;
  /** Called after each row read, with the file's name (progress). */
  onRow: (file: string) => void;
}

interface FileSpec {
  file: string;
  required: readonly string[];
  table: string;
  columns: readonly string[];
  /** The row's staging cells, or null when it cannot be staged at all (no sourcedId). */
  toCells: (check: RowChecker, row: CsvRow) => Cell[] | null;
}

async function stageFile({ client, source, errors, onRow }: StagingContext, spec: FileSpec): Promise<void> {
  const input = await source.open(spec.file);
  const writer = new CopyWriter(client, spec.table, spec.columns);
  try {
    for await (const row of readCsv(input, spec.file, spec.required)) {
      const cells = spec.toCells(new RowChecker(row, spec.file, errors), row);
      if (cells) await writer.write(cells);
      onRow(spec.file);
    }
  } catch (error) {
    input.destroy();
    // The connection must leave COPY mode before the rollback; the file's error is the one to report.
    await writer.end().catch(() => {});
    throw error;
  }
  await writer.end();
}

/** orgs.csv: every org is staged (memberships naming a district are told apart from unknown orgs). */
export function stageOrgs(context: StagingContext): Promise<void> {
  return stageFile(context, {
    file: 'orgs.csv',
    required: ['sourcedId', 'name', 'type'],
    table: 'stage_orgs',
    columns: ['line', 'sourced_id', 'name', 'type', 'code', 'status', 'valid'],
    toCells: (check, row) => {
      const sourcedId = check.required('sourcedId', 255);
      const status = check.status();
      const type = check.required('type', 255).toLowerCase();
      let name: string | null = null;
      let code: string | null = null;
      if (type === 'school') {
        name = check.required('name', 255);
        // The org's identifier (a state or district school number) is the school's code when it fits.
        code = row.get('identifier') || null;
        if (code !== null && code.length > 64) {
          context.errors.add({ file: 'orgs.csv', line: row.line, column: 'identifier', message: 'identifier is longer than 64 characters; the school is imported without a code' });
          code = null;
        }
      }
      if (sourcedId === '') return null;
      return [row.line, sourcedId, name, type, code, status, check.valid];
    },
  });
}

/** users.csv; in OneRoster 1.1 its `orgSourcedIds` and `role` are the memberships, expanded in SQL. */
export function stageUsers(context: StagingContext, version: RosterVersion): Promise<void> {
  const withLinks = version === '1.1';
  const required = ['sourcedId', 'givenName', 'familyName', 'email', 'username', ...(withLinks ? ['orgSourcedIds', 'role'] : [])];
  return stageFile(context, {
    file: 'users.csv',
    required,
    table: 'stage_users',
    columns: ['line', 'sourced_id', 'first_name', 'last_name', 'email', 'user_name', 'status', 'valid', 'org_sourced_ids', 'role', 'links_ok'],
    toCells: (check, row) => {
      const sourcedId = check.required('sourcedId', 255);
      const status = check.status();
      const firstName = check.required('givenName', 100);
      const lastName = check.optional('familyName', 100);
      const email = check.email('email');
      const userName = check.optional('username', 255);
      if (sourcedId === '') return null;
      let orgs: string | null = null;
      let role: string | null = null;
      let linksOk = true;
      if (withLinks && check.valid) {
        orgs = row.get('orgSourcedIds') || null;
        const value = row.get('role');
        role = parseRole(value) ?? null;
        if (orgs !== null && role === null) {
          // The user is still imported; only the memberships this row names are skipped.
          linksOk = false;
          context.errors.add({
            file: 'users.csv', line: row.line, column: 'role',
            message: value === '' ? 'role is required for the orgs in orgSourcedIds; memberships skipped' : 'role is not a known role; memberships skipped',
          });
        }
      }
      return [row.line, sourcedId, firstName, lastName, email, userName, status, check.valid, orgs, role, linksOk];
    },
  });
}

/** roles.csv (OneRoster 1.2): one membership per row. */
export function stageRoles(context: StagingContext): Promise<void> {
  return stageFile(context, {
    file: 'roles.csv',
    required: ['userSourcedId', 'orgSourcedId', 'role'],
    table: 'stage_links',
    columns: ['file', 'line', 'col', 'user_sourced_id', 'org_sourced_id', 'role', 'primary_role', 'status', 'valid'],
    toCells: (check, row) => {
      const userSourcedId = check.required('userSourcedId', 255);
      const orgSourcedId = check.required('orgSourcedId', 255);
      const status = check.status();
      const value = row.get('role');
      const role = parseRole(value);
      if (!role) check.fail('role', value === '' ? 'role is required' : 'role is not a known role');
      if (userSourcedId === '' || orgSourcedId === '') return null;
      const primary = row.get('roleType').toLowerCase() !== 'secondary';
      return ['roles.csv', row.line, 'orgSourcedId', userSourcedId, orgSourcedId, role ?? null, primary, status, check.valid];
    },
  });
}
