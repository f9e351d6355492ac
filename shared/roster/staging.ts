import type pg from 'pg';
import { CopyWriter } from './copy';
import { readCsv, type CsvRow } from './csv';
import type { RosterVersion } from './manifest';
import { ErrorLog, parseRole, RowChecker } from './rows';
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

export type RowCallback = (file: string) => void;

async function stageFile(
  client: pg.ClientBase,
  source: RosterSource,
  file: string,
  required: readonly string[],
  table: string,
  columns: readonly string[],
  onRow: RowCallback,
  toCells: (check: RowChecker, row: CsvRow) => (string | number | boolean | null)[] | null,
  errors: ErrorLog,
): Promise<void> {
  const input = await source.open(file);
  const writer = new CopyWriter(client, table, columns);
  try {
    for await (const row of readCsv(input, file, required)) {
      const cells = toCells(new RowChecker(row, file, errors), row);
      if (cells) await writer.write(cells);
      onRow(file);
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
export function stageOrgs(client: pg.ClientBase, source: RosterSource, errors: ErrorLog, onRow: RowCallback): Promise<void> {
  return stageFile(
    client, source, 'orgs.csv', ['sourcedId', 'name', 'type'],
    'stage_orgs', ['line', 'sourced_id', 'name', 'type', 'code', 'status', 'valid'], onRow,
    (check, row) => {
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
          errors.add({ file: 'orgs.csv', line: row.line, column: 'identifier', message: 'identifier is longer than 64 characters; the school is imported without a code' });
          code = null;
        }
      }
      if (sourcedId === '') return null;
      return [row.line, sourcedId, name, type, code, status, check.valid];
    },
    errors,
  );
}

/** users.csv; in OneRoster 1.1 its `orgSourcedIds` and `role` are the memberships, expanded in SQL. */
export function stageUsers(
  client: pg.ClientBase,
  source: RosterSource,
  version: RosterVersion,
  errors: ErrorLog,
  onRow: RowCallback,
): Promise<void> {
  const withLinks = version === '1.1';
  const required = ['sourcedId', 'givenName', 'familyName', 'email', 'username', ...(withLinks ? ['orgSourcedIds', 'role'] : [])];
  return stageFile(
    client, source, 'users.csv', required, 'stage_users',
    ['line', 'sourced_id', 'first_name', 'last_name', 'email', 'user_name', 'status', 'valid', 'org_sourced_ids', 'role', 'links_ok'],
    onRow,
    (check, row) => {
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
          errors.add({
            file: 'users.csv', line: row.line, column: 'role',
            message: value === '' ? 'role is required for the orgs in orgSourcedIds; memberships skipped' : `role "${value}" is not a known role; memberships skipped`,
          });
        }
      }
      return [row.line, sourcedId, firstName, lastName, email, userName, status, check.valid, orgs, role, linksOk];
    },
    errors,
  );
}

/** roles.csv (OneRoster 1.2): one membership per row. */
export function stageRoles(client: pg.ClientBase, source: RosterSource, errors: ErrorLog, onRow: RowCallback): Promise<void> {
  return stageFile(
    client, source, 'roles.csv', ['userSourcedId', 'orgSourcedId', 'role'],
    'stage_links', ['file', 'line', 'col', 'user_sourced_id', 'org_sourced_id', 'role', 'primary_role', 'status', 'valid'], onRow,
    (check, row) => {
      const userSourcedId = check.required('userSourcedId', 255);
      const orgSourcedId = check.required('orgSourcedId', 255);
      const status = check.status();
      const value = row.get('role');
      const role = parseRole(value);
      if (!role) check.fail('role', value === '' ? 'role is required' : `role "${value}" is not a known role`);
      if (userSourcedId === '' || orgSourcedId === '') return null;
      const primary = row.get('roleType').toLowerCase() !== 'secondary';
      return ['roles.csv', row.line, 'orgSourcedId', userSourcedId, orgSourcedId, role ?? null, primary, status, check.valid];
    },
    errors,
  );
}
