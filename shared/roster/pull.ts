import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { config } from '../config';
import { logger } from '../logger';
import { parseInput } from '../validation';
import { readDistrictCredentials } from './district-credentials';
import { OneRosterSourceError } from './oneroster-http';
import { pullOneRosterRest } from './oneroster-rest';
import { isOneRosterRestUrl } from './rest-url';
import { deletePrefix, openS3Source, putFile } from './s3';
import type { RosterSource } from './source';

/** What the sync asks of the puller: one district's REST roster. */
const PullRequestSchema = z.strictObject({
  districtId: z.uuid(),
  baseUrl: z.string().max(2048).refine(isOneRosterRestUrl, 'must be a OneRoster 1.1 or 1.2 REST base URL'),
});
type PullRequest = z.infer<typeof PullRequestSchema>;

/** Where the puller left the roster: `s3://<bucket>/pulls/<districtId>/<pullId>/`, a folder of CSV files. */
export type PullResult = { location: string } | { error: string };

/** The prefix under which pulled rosters are written; the puller may write, and the sync delete, nothing else. */
const PULLS_PREFIX = 'pulls/';

/**
 * The puller's work (functions/roster-pull.ts), outside the VPC when deployed: reads the district's
 * credentials, pages its SIS (shared/roster/oneroster-rest.ts) and copies the CSV export to the roster
 * bucket under a key of its own, then removes its local copy. A failure is answered as `{error}`, a
 * message naming the SIS's URL path and status or the secret, never a credential or a response body,
 * and leaves nothing in the bucket.
 * @throws ValidationError for a request of any other shape
 */
export async function pullRosterToBucket(event: unknown): Promise<PullResult> {
  const request: PullRequest = parseInput(PullRequestSchema, event, 'The roster pull request is not valid.');
  const bucket = config.roster.pullBucket;
  if (!bucket) throw new Error('The roster puller needs ROSTER_PULL_BUCKET');
  const prefix = `${PULLS_PREFIX}${request.districtId}/${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID()}/`;
  try {
    const { tokenUrl, ...credentials } = await readDistrictCredentials(request.districtId);
    const pulled = await pullOneRosterRest({ baseUrl: request.baseUrl, tokenUrl, credentials, deployed: config.deployed });
    try {
      for (const [name, file] of pulled.files) await putFile(bucket, `${prefix}${name}`, file);
    } finally {
      await pulled.close();
    }
  } catch (error) {
    await deletePrefix(bucket, prefix).catch(() => {});
    if (error instanceof OneRosterSourceError) return { error: error.message };
    throw error;
  }
  return { location: `s3://${bucket}/${prefix}` };
}

/** The pulled copy, read as any S3 roster; closing it deletes it (personal data is not kept past the run). */
async function openPulledCopy(location: string, baseUrl: string): Promise<RosterSource> {
  const match = /^s3:\/\/([^/]+)\/(pulls\/.+\/)$/.exec(location);
  if (!match) throw new OneRosterSourceError('The roster puller answered a location outside the bucket\'s pulls/ prefix');
  const [, bucket, prefix] = match;
  const copy = await openS3Source(location).catch(async (error: unknown) => {
    await deletePrefix(bucket, prefix).catch(() => {});
    throw error;
  });
  return {
    // The run records the district's source, not the copy's key.
    location: baseUrl,
    has: (name) => copy.has(name),
    open: (name) => copy.open(name),
    // A copy that cannot be deleted now does not undo the run: the bucket's lifecycle rule on pulls/
    // expires it (docs/deploy.md), and the log says so without naming anyone.
    close: () =>
      deletePrefix(bucket, prefix).catch((error: unknown) => {
        logger.error('pulled roster copy not deleted; the bucket lifecycle rule expires it', { location, error: error as Error });
      }),
  };
}

/** Invokes the puller function through the Lambda API (deployed: the VPC's Lambda endpoint), as deliver invokes the webhook sender. */
async function invokePuller(functionName: string, request: PullRequest): Promise<PullResult> {
  const { LambdaClient, InvokeCommand } = await import('@aws-sdk/client-lambda');
  const { lambdaEndpoint } = config.roster;
  const client = new LambdaClient({ region: config.database.region, ...(lambdaEndpoint ? { endpoint: lambdaEndpoint } : {}) });
  try {
    const answer = await client.send(new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify(request)) }));
    // A function error's payload is the runtime's report (message, stack): not repeated in the run record.
    if (answer.FunctionError || !answer.Payload) return { error: `The roster puller failed (${answer.FunctionError ?? 'no answer'}); see its log` };
    return JSON.parse(Buffer.from(answer.Payload).toString('utf8')) as PullResult;
  } finally {
    client.destroy();
  }
}

/**
 * A district's OneRoster REST roster, pulled for one sync run (docs/oneroster.md#how-the-pull-leaves-the-vpc).
 * Deployed (ROSTER_PULL_FUNCTION), the puller function outside the VPC pulls it into the roster bucket
 * and the run reads that copy, which closing the source deletes. Without a puller (npm start, npm run
 * sync) the pull runs in-process into a temporary folder, which closing the source removes.
 * @throws OneRosterSourceError when the SIS, the secret or the puller fails
 */
export async function pullDistrictRoster(districtId: string, baseUrl: string): Promise<RosterSource> {
  const { pullFunction } = config.roster;
  if (!pullFunction) {
    const { tokenUrl, ...credentials } = await readDistrictCredentials(districtId);
    return pullOneRosterRest({ baseUrl, tokenUrl, credentials, deployed: config.deployed });
  }
  const result = await invokePuller(pullFunction, { districtId, baseUrl });
  if ('error' in result) throw new OneRosterSourceError(result.error);
  return openPulledCopy(result.location, baseUrl);
}
