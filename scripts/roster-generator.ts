import { once } from 'node:events';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { finished } from 'node:stream/promises';

export interface GenerateOptions {
  users: number;
  schools: number;
  out: string;
  seed?: number;
  version?: '1.1' | '1.2';
  /** Writes a delta of this share of the users (their family name changed) instead of a bulk roster. */
  delta?: number;
  /** The users' email domain (several districts' people apart); `district.example.org` by default. */
  emailDomain?: string;
}

export interface GeneratedRoster {
  users: number;
  schools: number;
  memberships: number;
  multiSchoolUsers: number;
}

/** mulberry32: a small, fast PRNG, so that one seed always gives the same district. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const GIVEN = ['Ava', 'Liam', 'Noah', 'Emma', 'Olivia', 'Mateo', 'Sofia', 'Amara', 'Kenji', 'Priya', 'Lucas', 'Zoe', 'Omar', 'Leila', 'Ethan', 'Mia', 'Diego', 'Hana', 'Isaac', 'Nora', 'Yusuf', 'Chloe', 'Arjun', 'Elena', 'Kofi', 'Grace', 'Tomás', 'Ines', 'Wei', 'Freya'];
const FAMILY = ['Smith', 'Garcia', 'Nguyen', 'Johnson', 'Okafor', 'Müller', 'Rossi', 'Kim', 'Patel', 'Brown', "O'Neil", 'Silva', 'Cohen', 'Ivanova', 'Haddad', 'Tanaka', 'Dubois', 'Novak', 'Lopez', 'Andersen', 'Mensah', 'Khan', 'Walker', 'Costa', 'Fischer', 'Sato', 'Ali', 'Moreau', 'Berg', 'Reyes'];
const PLACES = ['Maple', 'Riverside', 'Lincoln', 'Oak Hill', 'Cedar', 'Lakeview', 'Washington', 'Hillcrest', 'Pine Ridge', 'Westwood', 'Sunnyvale', 'Brookside'];
const KINDS = ['Elementary School', 'Middle School', 'High School', 'Academy'];
/** Roles by share of a district's users: mostly students, then teachers, staff and administrators. */
const ROLE_SHARES: [string, number][] = [['student', 0.85], ['teacher', 0.1], ['aide', 0.03], ['proctor', 0.005], ['administrator', 0.015]];

/** The role whose share of the cumulative distribution holds `draw`, a number in [0, 1). */
function pickRole(draw: number): string {
  let rest = draw;
  for (const [role, share] of ROLE_SHARES) {
    rest -= share;
    if (rest < 0) return role;
  }
  return 'student';
}
const MULTI_SCHOOL_SHARE = 0.065;

function quote(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

class CsvFile {
  private readonly stream: WriteStream;
  private buffer = '';

  constructor(file: string, header: string[]) {
    this.stream = createWriteStream(file);
    this.buffer = `${header.join(',')}\n`;
  }

  async row(values: (string | number)[]): Promise<void> {
    this.buffer += `${values.map((v) => quote(String(v))).join(',')}\n`;
    if (this.buffer.length > 1 << 16) {
      const ok = this.stream.write(this.buffer);
      this.buffer = '';
      if (!ok) await once(this.stream, 'drain');
    }
  }

  async close(): Promise<void> {
    this.stream.end(this.buffer);
    await finished(this.stream);
  }
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/**
 * Writes a realistic district export (OneRoster 1.1 or 1.2 CSV): a district org, `schools` schools, and
 * `users` students, teachers, staff and administrators, 6.5% of them in two or three schools. The same
 * seed always writes the same files. With `delta`, writes a delta of that share of the users instead.
 */
export async function generateRoster(options: GenerateOptions): Promise<GeneratedRoster> {
  const version = options.version ?? '1.1';
  const next = random(options.seed ?? 1);
  const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)];
  mkdirSync(options.out, { recursive: true });
  const file = (name: string) => path.join(options.out, name);
  const delta = options.delta !== undefined;
  const every = options.delta !== undefined ? Math.max(1, Math.round(1 / options.delta)) : 1;

  const modes: Record<string, string> = {
    academicSessions: 'absent', classes: 'absent', courses: 'absent', demographics: 'absent', enrollments: 'absent',
    orgs: delta ? 'absent' : 'bulk', users: delta ? 'delta' : 'bulk', ...(version === '1.2' ? { roles: delta ? 'delta' : 'bulk' } : {}),
  };
  const manifest = new CsvFile(file('manifest.csv'), ['propertyName', 'value']);
  for (const [property, value] of [['manifest.version', '1.0'], ['oneroster.version', version], ['source.systemName', 'roster:generate'], ...Object.entries(modes).map(([name, mode]) => [`file.${name}`, mode])]) {
    await manifest.row([property, value]);
  }
  await manifest.close();

  const schoolIds = Array.from({ length: options.schools }, (_, i) => `org-sch-${pad(i + 1, 4)}`);
  if (!delta) {
    const orgs = new CsvFile(file('orgs.csv'), ['sourcedId', 'status', 'dateLastModified', 'name', 'type', 'identifier', 'parentSourcedId']);
    await orgs.row(['org-district', 'active', '2026-08-01', 'Unified School District', 'district', 'USD-1', '']);
    for (const [i, id] of schoolIds.entries()) {
      await orgs.row([id, 'active', '2026-08-01', `${PLACES[i % PLACES.length]} ${KINDS[Math.floor(i / PLACES.length) % KINDS.length]} ${Math.floor(i / (PLACES.length * KINDS.length)) + 1}`, 'school', `SCH-${pad(i + 1, 4)}`, 'org-district']);
    }
    await orgs.close();
  }

  const userHeader = version === '1.1'
    ? ['sourcedId', 'status', 'dateLastModified', 'enabledUser', 'orgSourcedIds', 'role', 'username', 'userIds', 'givenName', 'familyName', 'middleName', 'identifier', 'email', 'sms', 'phone', 'agentSourcedIds', 'grades', 'password']
    : ['sourcedId', 'status', 'dateLastModified', 'enabledUser', 'username', 'userIds', 'givenName', 'familyName', 'middleName', 'identifier', 'email', 'sms', 'phone', 'agentSourcedIds', 'grades', 'password', 'userMasterIdentifier', 'preferredGivenName', 'preferredMiddleName', 'preferredFamilyName', 'primaryOrgSourcedId', 'pronouns'];
  const users = new CsvFile(file('users.csv'), userHeader);
  const roles = version === '1.2'
    ? new CsvFile(file('roles.csv'), ['sourcedId', 'status', 'dateLastModified', 'userSourcedId', 'roleType', 'role', 'beginDate', 'endDate', 'orgSourcedId', 'userProfileSourcedId'])
    : undefined;
  const result: GeneratedRoster = { users: 0, schools: delta ? 0 : options.schools, memberships: 0, multiSchoolUsers: 0 };
  for (let n = 1; n <= options.users; n++) {
    const given = pick(GIVEN);
    let family = pick(FAMILY);
    const role = pickRole(next());
    const home = Math.floor(next() * schoolIds.length);
    const orgs = [schoolIds[home]];
    if (next() < MULTI_SCHOOL_SHARE && schoolIds.length > 1) {
      const extra = next() < 0.15 ? 2 : 1;
      for (let k = 1; k <= extra && k < schoolIds.length; k++) orgs.push(schoolIds[(home + k * 7) % schoolIds.length]);
    }
    const grade = role === 'student' ? pad(1 + Math.floor(next() * 12), 2) : '';
    if (delta && n % every !== 0) continue;
    if (delta) family = `${family}-Updated`;
    if (orgs.length > 1) result.multiSchoolUsers++;
    result.users++;
    result.memberships += orgs.length;
    const id = `usr-${pad(n, 7)}`;
    const userName = `${given[0]}${family}${n}`.toLowerCase().replace(/[^a-z0-9]/g, '');
    const email = `${userName}@${options.emailDomain ?? 'district.example.org'}`;
    // Administrators also belong to the district org, which the sync counts and skips.
    const orgList = role === 'administrator' ? [...orgs, 'org-district'] : orgs;
    if (version === '1.1') {
      await users.row([id, 'active', '2026-08-01', 'TRUE', orgList.join(','), role, userName, `{SIS:${n}}`, given, family, '', `ID${n}`, email, '', '', '', grade, '']);
    } else {
      await users.row([id, 'active', '2026-08-01', 'TRUE', userName, `{SIS:${n}}`, given, family, '', `ID${n}`, email, '', '', '', grade, '', '', '', '', '', orgs[0], '']);
      for (const [k, org] of orgList.entries()) {
        await roles?.row([`rol-${pad(n, 7)}-${k}`, 'active', '2026-08-01', id, k === 0 ? 'primary' : 'secondary', role, '2026-08-15', '2027-06-30', org, '']);
      }
    }
  }
  await users.close();
  await roles?.close();
  return result;
}
