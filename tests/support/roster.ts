import { createWriteStream, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { withClient } from './db';

export type Cell = string | number | null | undefined;

function quote(cell: Cell): string {
  const text = cell === null || cell === undefined ? '' : String(cell);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A CSV file's text: a header and rows, quoted where needed, LF line ends (tests vary them on purpose). */
export function csv(header: string[], rows: Cell[][]): string {
  return `${[header, ...rows].map((row) => row.map(quote).join(',')).join('\n')}\n`;
}

export function manifest(version: '1.1' | '1.2', files: Record<string, string>): string {
  return csv(
    ['propertyName', 'value'],
    [['manifest.version', '1.0'], ['oneroster.version', version], ...Object.entries(files).map(([name, mode]) => [`file.${name}`, mode])],
  );
}

const ORG_HEADER = ['sourcedId', 'status', 'dateLastModified', 'name', 'type', 'identifier', 'parentSourcedId'];
const USER_HEADER_11 = ['sourcedId', 'status', 'dateLastModified', 'enabledUser', 'orgSourcedIds', 'role', 'username', 'userIds', 'givenName', 'familyName', 'middleName', 'identifier', 'email', 'sms', 'phone', 'agentSourcedIds', 'grades', 'password'];
export const USER_HEADER_12 = ['sourcedId', 'status', 'dateLastModified', 'enabledUser', 'username', 'userIds', 'givenName', 'familyName', 'middleName', 'identifier', 'email', 'sms', 'phone', 'agentSourcedIds', 'grades', 'password', 'userMasterIdentifier', 'preferredGivenName', 'preferredMiddleName', 'preferredFamilyName', 'primaryOrgSourcedId', 'pronouns'];
export const ROLE_HEADER = ['sourcedId', 'status', 'dateLastModified', 'userSourcedId', 'roleType', 'role', 'beginDate', 'endDate', 'orgSourcedId', 'userProfileSourcedId'];

export interface Org { sourcedId: string; name: string; type?: string; identifier?: string; status?: string }
export interface User11 { sourcedId: string; givenName: string; familyName?: string; email?: string; username?: string; orgs?: string[]; role?: string; status?: string }

export function orgsCsv(orgs: Org[]): string {
  return csv(ORG_HEADER, orgs.map((o) => [o.sourcedId, o.status ?? '', '', o.name, o.type ?? 'school', o.identifier ?? '', '']));
}

export function users11Csv(users: User11[]): string {
  return csv(
    USER_HEADER_11,
    users.map((u) => [u.sourcedId, u.status ?? '', '', 'TRUE', (u.orgs ?? []).join(','), u.role ?? 'student', u.username ?? '', '', u.givenName, u.familyName ?? '', '', '', u.email ?? '', '', '', '', '', '']),
  );
}

/** Writes the files into a new temporary folder (a file may sit in a subfolder: `export/users.csv`). */
export function writeRoster(files: Record<string, string | Buffer>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'roster-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

/** A small 1.1 district: two schools, a district org, four users, one of them in both schools. */
export function smallDistrict11() {
  const orgs: Org[] = [
    { sourcedId: 'dist-1', name: 'Springfield District', type: 'district' },
    { sourcedId: 'sch-1', name: 'Springfield Elementary', identifier: 'SE-001' },
    { sourcedId: 'sch-2', name: 'Springfield High', identifier: 'SH-002' },
  ];
  const users: User11[] = [
    { sourcedId: 'u-1', givenName: 'Edna', familyName: 'Krabappel', email: 'edna@springfield.example', username: 'ekrabappel', orgs: ['sch-1'], role: 'teacher' },
    { sourcedId: 'u-2', givenName: 'Bart', familyName: 'Simpson', email: 'bart@springfield.example', username: 'bsimpson', orgs: ['sch-1'], role: 'student' },
    { sourcedId: 'u-3', givenName: 'Dewey', familyName: 'Largo', email: 'dewey@springfield.example', username: 'dlargo', orgs: ['sch-1', 'sch-2'], role: 'teacher' },
    { sourcedId: 'u-4', givenName: 'Seymour', familyName: 'Skinner', email: 'seymour@springfield.example', username: 'sskinner', orgs: ['dist-1', 'sch-1'], role: 'administrator' },
  ];
  return { orgs, users };
}

export function roster11(orgs: Org[], users: User11[], modes: { orgs?: string; users?: string } = {}): Record<string, string> {
  return {
    'manifest.csv': manifest('1.1', { orgs: modes.orgs ?? 'bulk', users: modes.users ?? 'bulk', enrollments: 'absent' }),
    'orgs.csv': orgsCsv(orgs),
    'users.csv': users11Csv(users),
  };
}

export async function resetRoster(): Promise<void> {
  await withClient((client) => client.query('TRUNCATE users, schools, user_schools, roster_sync_runs, districts CASCADE'));
}

/** The database as a user of the API would see it: live and deleted users and schools, and the links. */
export async function snapshot() {
  return withClient(async (client) => {
    const users = await client.query(
      `SELECT "sourcedId", "firstName", "lastName", email, "userName", "deletedAt" IS NOT NULL AS deleted
       FROM users ORDER BY "sourcedId" NULLS LAST, email`,
    );
    const schools = await client.query(
      `SELECT "sourcedId", name, code, "deletedAt" IS NOT NULL AS deleted FROM schools ORDER BY "sourcedId" NULLS LAST, name`,
    );
    const links = await client.query(
      `SELECT coalesce(u."sourcedId", u.email) AS "user", coalesce(s."sourcedId", s.name) AS school, l.role, l.source
       FROM user_schools l JOIN users u ON u."userId" = l."userUserId" JOIN schools s ON s."schoolId" = l."schoolSchoolId"
       ORDER BY 1, 2`,
    );
    return { users: users.rows, schools: schools.rows, links: links.rows };
  });
}

export function counts(created = 0, updated = 0, unchanged = 0, deleted = 0, restored = 0) {
  return { created, updated, unchanged, deleted, restored };
}

/** The files as a zip (deflated, as exports are), written to a new temporary file. */
export async function writeZip(files: Record<string, string>): Promise<string> {
  const { ZipFile } = await import('yazl');
  const zip = new ZipFile();
  for (const [name, content] of Object.entries(files)) zip.addBuffer(Buffer.from(content), name);
  zip.end();
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'roster-zip-')), 'roster.zip');
  await pipeline(zip.outputStream, createWriteStream(file));
  return file;
}
