import type { Readable } from 'node:stream';
import { RosterInputError } from './errors';

/** The files of one roster export, wherever they are kept. File names are matched case-insensitively. */
export interface RosterSource {
  readonly location: string;
  has(fileName: string): boolean;
  /** A stream of the file's bytes; nothing is read into memory whole. */
  open(fileName: string): Promise<Readable>;
  close(): Promise<void>;
}

/** Maps lower-cased file names to what the source needs to open them. */
export function indexByName<T>(entries: Iterable<[string, T]>): Map<string, T> {
  const index = new Map<string, T>();
  for (const [name, value] of entries) index.set(name.toLowerCase(), value);
  return index;
}

export function lookup<T>(index: Map<string, T>, fileName: string, location: string): T {
  const value = index.get(fileName.toLowerCase());
  if (value === undefined) throw new RosterInputError(`${fileName} is not in ${location}`);
  return value;
}
