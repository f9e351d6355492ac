import { stringify, type Stringifier } from 'csv-stringify';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import * as z from 'zod';
import type { RosterVersion } from './manifest';
import { OneRosterHttpClient, OneRosterSourceError, type OneRosterHttpOptions } from './oneroster-http';
import { indexByName, lookup, type RosterSource } from './source';

export interface OneRosterRestOptions extends OneRosterHttpOptions {
  /** The rostering service's base URL: `.../ims/oneroster/v1p1` or `.../ims/oneroster/rostering/v1p2`. */
  baseUrl: string;
  /** Read from the base URL (`v1p1`, `v1p2`) when not given. */
  version?: RosterVersion;
  /** The `limit` asked for; a SIS that serves fewer per page is followed at its own page size. */
  pageSize?: number;
  /** A collection longer than this fails the pull: a SIS that ignores `offset` would otherwise page forever. */
  maxRecords?: number;
  onProgress?: (progress: { collection: string; records: number }) => void;
}

/** A pulled roster: a RosterSource over local CSV files, which `files` names (file name to path) for a copy elsewhere. */
export interface PulledRoster extends RosterSource {
  readonly files: ReadonlyMap<string, string>;
}

// Every field is read leniently: a value of the wrong type is written blank, and the sync's row checks
// report the row (a SIS record with a numeric givenName must not fail the whole district).
const text = z.string().optional().catch(undefined);
const Ref = z.looseObject({ sourcedId: text });
const refs = z.array(z.unknown()).optional().catch(undefined).transform((items) =>
  (items ?? []).map((item) => Ref.safeParse(item).data?.sourcedId).filter((id): id is string => Boolean(id)),
);
const Org = z.looseObject({ sourcedId: text, status: text, dateLastModified: text, name: text, type: text, identifier: text, parent: Ref.optional().catch(undefined) });
const Role = z.looseObject({ roleType: text, role: text, org: Ref.optional().catch(undefined) });
const User = z.looseObject({
  sourcedId: text, status: text, dateLastModified: text, enabledUser: z.union([z.string(), z.boolean()]).optional().catch(undefined),
  username: text, givenName: text, familyName: text, email: text,
  // 1.1: one role and the orgs it applies in; 1.2: roles[], each with its org.
  role: text, orgs: refs, roles: z.array(z.unknown()).optional().catch(undefined), primaryOrg: Ref.optional().catch(undefined),
});

const ORG_COLUMNS = ['sourcedId', 'status', 'dateLastModified', 'name', 'type', 'identifier', 'parentSourcedId'];
const USER_COLUMNS = {
  '1.1': ['sourcedId', 'status', 'dateLastModified', 'enabledUser', 'orgSourcedIds', 'role', 'username', 'givenName', 'familyName', 'email'],
  '1.2': ['sourcedId', 'status', 'dateLastModified', 'enabledUser', 'username', 'givenName', 'familyName', 'email', 'primaryOrgSourcedId'],
};
const ROLE_COLUMNS = ['sourcedId', 'status', 'dateLastModified', 'userSourcedId', 'roleType', 'role', 'orgSourcedId'];

type Cell = string | undefined;

/** One CSV file being written, with backpressure: a page's rows never pile up in memory ahead of the disk. */
class CsvFile {
  private readonly stringifier: Stringifier;
  private readonly done: Promise<void>;

  constructor(file: string, columns: string[]) {
    this.stringifier = stringify({ header: true, columns, record_delimiter: 'unix' });
    // pipeline, not pipe: a failed write (a full disk) destroys the stringifier too, so a write waiting
    // for 'drain' fails instead of waiting forever.
    this.done = pipeline(this.stringifier, createWriteStream(file));
    // Awaited in end(); until then a failure must not count as an unhandled rejection.
    this.done.catch(() => {});
  }

  async write(row: Cell[]): Promise<void> {
    if (!this.stringifier.write(row)) await once(this.stringifier, 'drain');
  }

  async end(): Promise<void> {
    this.stringifier.end();
    await this.done;
  }
}

function versionOf(baseUrl: string): RosterVersion {
  if (/\/v1p2\/?$/.test(baseUrl)) return '1.2';
  if (/\/v1p1\/?$/.test(baseUrl)) return '1.1';
  throw new OneRosterSourceError('The OneRoster base URL does not end in v1p1 or v1p2; give its version');
}

/**
 * Pages one collection with limit/offset until a page shorter than the longest one seen so far (or an
 * empty one): no count header is needed, and a SIS that caps `limit` below the one asked for is followed
 * at its own page size instead of being taken for finished after its first page.
 */
async function pageThrough(
  client: OneRosterHttpClient,
  options: OneRosterRestOptions,
  collection: 'orgs' | 'users',
  onRecord: (record: unknown) => Promise<void>,
): Promise<void> {
  const limit = options.pageSize ?? 500;
  const maxRecords = options.maxRecords ?? 2_000_000;
  const base = options.baseUrl.replace(/\/+$/, '');
  let offset = 0;
  let longest = 0;
  for (;;) {
    const url = `${base}/${collection}?limit=${limit}&offset=${offset}`;
    const body = await client.getJson(url);
    const page = (body as Record<string, unknown> | null)?.[collection];
    if (!Array.isArray(page)) throw new OneRosterSourceError(`The OneRoster source's ${collection} page at offset ${offset} has no "${collection}" array`);
    for (const record of page) {
      if (typeof record !== 'object' || record === null || Array.isArray(record)) {
        throw new OneRosterSourceError(`The OneRoster source's ${collection} page at offset ${offset} holds an item that is not an object`);
      }
      await onRecord(record);
    }
    offset += page.length;
    options.onProgress?.({ collection, records: offset });
    if (page.length === 0 || page.length < longest) return;
    longest = Math.max(longest, page.length);
    if (offset > maxRecords) throw new OneRosterSourceError(`The OneRoster source's ${collection} go past ${maxRecords} records; is offset ignored?`);
  }
}

function enabled(value: string | boolean | undefined): Cell {
  return value === undefined ? undefined : String(value);
}

/**
 * Reads a district's roster from its SIS's OneRoster 1.1 or 1.2 REST service (orgs, then users with their
 * roles) and presents it as the CSV export the sync reads: `manifest.csv` (every file bulk), `orgs.csv`,
 * `users.csv` and, for 1.2, `roles.csv` built from each user's `roles[]`. Each page is written to a
 * temporary folder as it arrives, so memory holds one page, whatever the district's size; `close()`
 * removes the folder. Everything after staging (identities, safety, one transaction, the run record) is
 * the CSV path's.
 * @throws OneRosterSourceError when the SIS cannot be reached or read (nothing is left on disk).
 */
export async function pullOneRosterRest(options: OneRosterRestOptions): Promise<PulledRoster> {
  const version = options.version ?? versionOf(options.baseUrl);
  const folder = await mkdtemp(path.join(os.tmpdir(), 'oneroster-rest-'));
  const client = new OneRosterHttpClient(options);
  const file = (name: string) => path.join(folder, name);
  try {
    const orgs = new CsvFile(file('orgs.csv'), ORG_COLUMNS);
    await pageThrough(client, options, 'orgs', async (record) => {
      const org = Org.parse(record);
      await orgs.write([org.sourcedId, org.status, org.dateLastModified, org.name, org.type, org.identifier, org.parent?.sourcedId]);
    });
    await orgs.end();

    const users = new CsvFile(file('users.csv'), USER_COLUMNS[version]);
    const roles = version === '1.2' ? new CsvFile(file('roles.csv'), ROLE_COLUMNS) : undefined;
    await pageThrough(client, options, 'users', async (record) => {
      const user = User.parse(record);
      const common = [user.sourcedId, user.status, user.dateLastModified, enabled(user.enabledUser)];
      if (!roles) {
        await users.write([...common, user.orgs.join(','), user.role, user.username, user.givenName, user.familyName, user.email]);
        return;
      }
      await users.write([...common, user.username, user.givenName, user.familyName, user.email, user.primaryOrg?.sourcedId]);
      for (const item of user.roles ?? []) {
        const role = Role.safeParse(item).data;
        const org = role?.org?.sourcedId;
        // roles.csv needs a sourcedId per row; the REST object has none, so it is made from what the row joins.
        await roles.write([[user.sourcedId, org, role?.role].join(':'), user.status, user.dateLastModified, user.sourcedId, role?.roleType, role?.role, org]);
      }
    });
    await users.end();
    await roles?.end();

    const manifest = new CsvFile(file('manifest.csv'), ['propertyName', 'value']);
    for (const row of [
      ['manifest.version', '1.0'],
      ['oneroster.version', version],
      ['file.orgs', 'bulk'],
      ['file.users', 'bulk'],
      ...(version === '1.2' ? [['file.roles', 'bulk']] : []),
    ]) {
      await manifest.write(row);
    }
    await manifest.end();
  } catch (error) {
    await rm(folder, { recursive: true, force: true });
    throw error;
  }
  const files = indexByName(['manifest.csv', 'orgs.csv', 'users.csv', ...(version === '1.2' ? ['roles.csv'] : [])].map((name) => [name, file(name)]));
  const location = options.baseUrl;
  return {
    location,
    files,
    has: (name) => files.has(name.toLowerCase()),
    open: async (name) => createReadStream(lookup(files, name, location)),
    close: () => rm(folder, { recursive: true, force: true }),
  };
}
