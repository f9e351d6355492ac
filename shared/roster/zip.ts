import yauzl, { type Entry, type RandomAccessReader, type ZipFile } from 'yauzl';
import { RosterInputError } from './errors';
import { indexByName, lookup, type RosterSource } from './source';

function listEntries(zip: ZipFile): Promise<Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: Entry[] = [];
    zip.on('entry', (entry: Entry) => {
      entries.push(entry);
      zip.readEntry();
    });
    zip.once('end', () => resolve(entries));
    zip.once('error', reject);
    zip.readEntry();
  });
}

/**
 * The roster's files in a zip: those beside the shallowest `manifest.csv`, so that a zip made of the
 * export's folder (`export/manifest.csv`, ...) reads like one made of its files.
 */
async function zipSource(zip: ZipFile, location: string): Promise<RosterSource> {
  const entries = (await listEntries(zip)).filter((e) => !e.fileName.endsWith('/') && !e.fileName.startsWith('__MACOSX/'));
  const manifests = entries
    .filter((e) => e.fileName.split('/').at(-1)?.toLowerCase() === 'manifest.csv')
    .sort((a, b) => a.fileName.length - b.fileName.length);
  const root = manifests.length > 0 ? manifests[0].fileName.slice(0, -'manifest.csv'.length) : '';
  const files = indexByName(
    entries
      .filter((e) => e.fileName.startsWith(root) && !e.fileName.slice(root.length).includes('/'))
      .map((e) => [e.fileName.slice(root.length), e]),
  );
  return {
    location,
    has: (fileName) => files.has(fileName.toLowerCase()),
    open: (fileName) => zip.openReadStreamPromise(lookup(files, fileName, location)),
    close: async () => zip.close(),
  };
}

const zipOptions = { lazyEntries: true, autoClose: false } as const;

function unreadableZip(location: string, error: unknown): RosterInputError {
  return new RosterInputError(`Cannot read the zip ${location}: ${(error as Error).message}`, { cause: error });
}

export async function openLocalZip(file: string): Promise<RosterSource> {
  const zip = await yauzl.openPromise(file, zipOptions).catch((error: unknown) => {
    throw unreadableZip(file, error);
  });
  return zipSource(zip, file);
}

/** A zip read through `reader` (ranged reads of a remote object): only the central directory and the opened entries are fetched. */
export async function openRemoteZip(reader: RandomAccessReader, size: number, location: string): Promise<RosterSource> {
  const zip = await yauzl.fromRandomAccessReaderPromise(reader, size, zipOptions).catch((error: unknown) => {
    throw unreadableZip(location, error);
  });
  return zipSource(zip, location);
}
