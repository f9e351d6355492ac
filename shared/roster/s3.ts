import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, paginateListObjectsV2, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { PassThrough, type Readable } from 'node:stream';
import { RandomAccessReader } from 'yauzl';
import { config } from '../config';
import { RosterInputError } from './errors';
import { indexByName, lookup, type RosterSource } from './source';
import { openRemoteZip } from './zip';

let client: S3Client | undefined;

/** One client per container; `S3_ENDPOINT` points it at a local S3-compatible server in tests. */
function s3(): S3Client {
  client ??= new S3Client({
    region: config.s3.region,
    endpoint: config.s3.endpoint,
    forcePathStyle: config.s3.forcePathStyle,
    // Local S3-compatible servers (s3rver) predate the SDK's default checksums on streamed uploads
    // (aws-chunked); AWS itself gets the SDK's defaults.
    ...(config.s3.endpoint ? { requestChecksumCalculation: 'WHEN_REQUIRED' as const } : {}),
  });
  return client;
}

function parseS3Location(location: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(location);
  if (!match) throw new RosterInputError(`${location} is not an s3://bucket/prefix/ or s3://bucket/key.zip location`);
  return { bucket: match[1], key: match[2] };
}

function unreadable(location: string, error: unknown): RosterInputError {
  const detail = (error as { name?: string; message?: string }).message || (error as { name?: string }).name;
  return new RosterInputError(`Cannot read ${location}: ${detail}`, { cause: error });
}

async function getObject(bucket: string, key: string, range?: string): Promise<Readable> {
  const response = await s3().send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: range }));
  return response.Body as Readable;
}

/** The files directly under the prefix, each streamed by its own GET when opened. */
async function openS3Folder(location: string, bucket: string, prefix: string): Promise<RosterSource> {
  const keys: [string, string][] = [];
  try {
    for await (const page of paginateListObjectsV2({ client: s3() }, { Bucket: bucket, Prefix: prefix, Delimiter: '/' })) {
      for (const { Key } of page.Contents ?? []) if (Key !== undefined) keys.push([Key.slice(prefix.length), Key]);
    }
  } catch (error) {
    throw unreadable(location, error);
  }
  const files = indexByName(keys);
  return {
    location,
    has: (fileName) => files.has(fileName.toLowerCase()),
    open: (fileName) => getObject(bucket, lookup(files, fileName, location)).catch((error: unknown) => {
      throw unreadable(`${location}${fileName}`, error);
    }),
    close: async () => {},
  };
}

/**
 * yauzl reads a zip by ranges: the central directory at its end, then each opened entry. Serving those
 * ranges with ranged GETs streams the roster's CSV files out of the object without downloading the
 * whole zip (which may hold classes, enrollments and results we never read) or holding it in memory.
 */
class S3RangeReader extends RandomAccessReader {
  constructor(
    private readonly bucket: string,
    private readonly key: string,
  ) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    const out = new PassThrough();
    // yauzl's `end` is exclusive, HTTP's is inclusive.
    getObject(this.bucket, this.key, `bytes=${start}-${end - 1}`).then(
      (body) => body.on('error', (error) => out.destroy(error)).pipe(out),
      (error: unknown) => out.destroy(error as Error),
    );
    return out;
  }
}

async function openS3Zip(location: string, bucket: string, key: string): Promise<RosterSource> {
  const head = await s3()
    .send(new HeadObjectCommand({ Bucket: bucket, Key: key }))
    .catch((error: unknown) => {
      throw unreadable(location, error);
    });
  return openRemoteZip(new S3RangeReader(bucket, key), head.ContentLength ?? 0, location);
}

/** `s3://bucket/key.zip` is read as a zip, any other `s3://bucket/prefix` as a folder. */
export async function openS3Source(location: string): Promise<RosterSource> {
  const { bucket, key } = parseS3Location(location);
  if (key.toLowerCase().endsWith('.zip')) return openS3Zip(location, bucket, key);
  const prefix = key === '' || key.endsWith('/') ? key : `${key}/`;
  return openS3Folder(location, bucket, prefix);
}

/** Uploads a local file as `s3://bucket/key`, streamed (its length known up front, as PutObject needs). */
export async function putFile(bucket: string, key: string, file: string): Promise<void> {
  const { size } = await stat(file);
  await s3().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: createReadStream(file), ContentLength: size }));
}

/** Deletes every object under `s3://bucket/prefix` (a pulled roster's few files: one DELETE each). */
export async function deletePrefix(bucket: string, prefix: string): Promise<void> {
  for await (const page of paginateListObjectsV2({ client: s3() }, { Bucket: bucket, Prefix: prefix })) {
    for (const { Key } of page.Contents ?? []) if (Key !== undefined) await s3().send(new DeleteObjectCommand({ Bucket: bucket, Key }));
  }
}
