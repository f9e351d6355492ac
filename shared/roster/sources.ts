import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { RosterInputError } from './errors';
import { openS3Source } from './s3';
import { indexByName, lookup, type RosterSource } from './source';
import { openLocalZip } from './zip';

async function openLocalFolder(folder: string): Promise<RosterSource> {
  const entries = await readdir(folder, { withFileTypes: true });
  const files = indexByName(entries.filter((e) => e.isFile()).map((e) => [e.name, path.join(folder, e.name)]));
  return {
    location: folder,
    has: (fileName) => files.has(fileName.toLowerCase()),
    open: async (fileName) => createReadStream(lookup(files, fileName, folder)),
    close: async () => {},
  };
}

/**
 * Opens `s3://bucket/prefix/`, `s3://bucket/key.zip`, a local folder or a local `.zip` file.
 * @throws RosterInputError when the location does not exist or is neither a folder nor a zip.
 */
export async function openRosterSource(location: string): Promise<RosterSource> {
  if (location.startsWith('s3://')) return openS3Source(location);
  const info = await stat(location).catch((error: unknown) => {
    throw new RosterInputError(`Cannot read the roster source ${location}: ${(error as Error).message}`, { cause: error });
  });
  if (info.isDirectory()) return openLocalFolder(location);
  if (location.toLowerCase().endsWith('.zip')) return openLocalZip(location);
  throw new RosterInputError(`The roster source ${location} is neither a folder nor a .zip file`);
}
