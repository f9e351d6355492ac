import { readCsv } from './csv';
import { RosterInputError } from './errors';
import type { RosterSource } from './source';

export type FileMode = 'bulk' | 'delta' | 'absent';
export type RosterVersion = '1.1' | '1.2';

export interface Manifest {
  version: RosterVersion;
  /** The mode of each file the sync reads; files the manifest does not name are `absent`. */
  orgs: FileMode;
  users: FileMode;
  roles: FileMode;
}

/**
 * Reads `manifest.csv`: the OneRoster version and each file's mode. Every file it names as bulk or delta
 * must be in the source, including those the sync does not read (a truncated export is refused whole).
 * A blank mode counts as `absent` (real 1.2 exports leave some blank).
 * @throws RosterInputError for a missing manifest, an unsupported version or mode, or a missing file.
 */
export async function readManifest(source: RosterSource): Promise<Manifest> {
  if (!source.has('manifest.csv')) throw new RosterInputError(`manifest.csv is missing from ${source.location}`);
  const properties = new Map<string, { value: string; line: number }>();
  for await (const row of readCsv(await source.open('manifest.csv'), 'manifest.csv', ['propertyName', 'value'])) {
    properties.set(row.get('propertyName').toLowerCase(), { value: row.get('value'), line: row.line });
  }
  const version = properties.get('oneroster.version')?.value;
  if (version !== '1.1' && version !== '1.2') {
    throw new RosterInputError(
      `manifest.csv: oneroster.version is ${version ? `"${version}"` : 'missing'}; this sync reads OneRoster 1.1 and 1.2`,
    );
  }
  const modes = new Map<string, FileMode>();
  const missing: string[] = [];
  for (const [property, { value, line }] of properties) {
    if (!property.startsWith('file.')) continue;
    const mode = value.toLowerCase() || 'absent';
    if (mode !== 'bulk' && mode !== 'delta' && mode !== 'absent') {
      throw new RosterInputError(`manifest.csv line ${line}: ${property} is "${value}"; expected bulk, delta or absent`);
    }
    const name = property.slice('file.'.length);
    modes.set(name, mode);
    if (mode !== 'absent' && !source.has(`${name}.csv`)) missing.push(`${name}.csv`);
  }
  if (missing.length > 0) {
    throw new RosterInputError(`The manifest names ${missing.join(', ')} but ${source.location} does not have ${missing.length > 1 ? 'them' : 'it'}`);
  }
  return {
    version,
    orgs: modes.get('orgs') ?? 'absent',
    users: modes.get('users') ?? 'absent',
    roles: version === '1.2' ? (modes.get('roles') ?? 'absent') : 'absent',
  };
}
