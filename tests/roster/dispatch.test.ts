import { randomUUID } from 'node:crypto';
import { withClient } from '../support/db';
import { createDistrict } from '../support/districts';
import { lambdaContext } from '../support/events';
import { resetRoster, roster11, smallDistrict11, writeRoster } from '../support/roster';

const { orgs, users } = smallDistrict11();
const deploymentSource = writeRoster(roster11(orgs, users));
// The functions' configuration is read at load: what a deployed stage sets for a single-district roster.
process.env.ROSTER_SOURCE = deploymentSource;
process.env.ROSTER_SYNC_SCHEDULE = 'rate(1 day)';
const { handler: dispatch } = require('../../functions/sync-dispatch') as typeof import('../../functions/sync-dispatch');
const { handler: sync } = require('../../functions/sync') as typeof import('../../functions/sync');
const { claimDueSyncs } = require('../../shared/roster/dispatch') as typeof import('../../shared/roster/dispatch');
const { closeConnections } = require('../../shared/db/sequelize') as typeof import('../../shared/db/sequelize');

afterAll(closeConnections);
beforeEach(resetRoster);
beforeEach(() => jest.spyOn(process.stdout, 'write').mockImplementation(() => true));
afterEach(() => jest.restoreAllMocks());

/** A district with a schedule, due at `nextSyncAt` (null: not scheduled). */
async function scheduled(name: string, syncSchedule: string, nextSyncAt: Date | null, fields: { enabled?: boolean; rosterSource?: string | null } = {}) {
  const districtId = await createDistrict(name, { syncSchedule, rosterSource: fields.rosterSource === null ? undefined : (fields.rosterSource ?? deploymentSource) });
  await withClient((c) => c.query(`UPDATE districts SET "nextSyncAt" = $2, enabled = $3 WHERE "districtId" = $1`, [districtId, nextSyncAt, fields.enabled ?? true]));
  return districtId;
}

const nextSyncAt = (districtId: string) =>
  withClient(async (c) => (await c.query(`SELECT "nextSyncAt" FROM districts WHERE "districtId" = $1`, [districtId])).rows[0].nextSyncAt as Date | null);

/** The SQS event Lambda's event source mapping hands the sync function, one record per message body. */
const sqsEvent = (bodies: string[]) => ({
  Records: bodies.map((body) => ({
    messageId: randomUUID(),
    receiptHandle: `AQEB${randomUUID().replace(/-/g, '')}`,
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1796659200000', SenderId: 'AROAEXAMPLE:states', ApproximateFirstReceiveTimestamp: '1796659200100' },
    messageAttributes: {},
    md5OfBody: '00000000000000000000000000000000',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:school-roster-dev-sync',
    awsRegion: 'eu-west-1',
  })),
});

describe('claiming the due syncs', () => {
  it('claims every enabled, scheduled district whose time has come, and moves its time to the next one', async () => {
    const now = new Date('2026-12-07T17:03:00Z');
    const hourly = await scheduled('Hourly', 'rate(1 hour)', new Date('2026-12-07T17:00:00Z'));
    const nightly = await scheduled('Nightly', 'cron(0 2 * * ? *)', new Date('2026-12-07T02:00:00Z'));
    const later = await scheduled('Later', 'rate(1 hour)', new Date('2026-12-07T17:30:00Z'));
    const disabled = await scheduled('Off', 'rate(1 hour)', new Date('2026-12-07T16:00:00Z'), { enabled: false });
    const sourceless = await scheduled('No source', 'rate(1 hour)', new Date('2026-12-07T16:00:00Z'), { rosterSource: null });

    const due = await claimDueSyncs(now);

    expect(due).toEqual([{ districtId: nightly }, { districtId: hourly }]);
    expect(await nextSyncAt(hourly)).toEqual(new Date('2026-12-07T18:03:00Z'));
    expect(await nextSyncAt(nightly)).toEqual(new Date('2026-12-08T02:00:00Z'));
    for (const id of [later, disabled, sourceless]) expect(await nextSyncAt(id)).toEqual(expect.any(Date));
    expect(await claimDueSyncs(now)).toEqual([]);
  });

  it('never hands one district to two dispatches running at once', async () => {
    const ids = [];
    for (let i = 0; i < 12; i++) ids.push(await scheduled(`D${i}`, 'rate(5 minutes)', new Date(Date.now() - 60_000)));

    const [a, b] = await Promise.all([claimDueSyncs(), claimDueSyncs()]);

    const claimed = [...a, ...b].map((sync) => sync.districtId);
    expect(claimed.sort()).toEqual([...ids].sort());
  });

  it('sends one sync without a district while the deployment has none, whose run makes the district on the deployment schedule', async () => {
    expect(await dispatch({}, lambdaContext())).toEqual({ syncs: [{}] });

    const summary = await sync(sqsEvent([JSON.stringify({})]), lambdaContext());

    expect(summary).toEqual({ batchItemFailures: [] });
    const [district] = await withClient(async (c) => (await c.query(`SELECT "districtId", "rosterSource", "syncSchedule", "nextSyncAt" FROM districts`)).rows);
    expect(district).toEqual({ districtId: expect.any(String), rosterSource: deploymentSource, syncSchedule: 'rate(1 day)', nextSyncAt: expect.any(Date) });
    expect(district.nextSyncAt.getTime()).toBeGreaterThan(Date.now() + 86_000_000);
    expect(await dispatch({}, lambdaContext())).toEqual({ syncs: [] });
  });
});

describe('the sync function, fed by the sync queue', () => {
  it("runs the dispatch's districts, one message each, and reports no failure", async () => {
    const a = await scheduled('Alpha', 'rate(1 hour)', new Date(Date.now() - 1000));
    const b = await scheduled('Beta', 'rate(1 hour)', new Date(Date.now() - 1000), { rosterSource: writeRoster(roster11(orgs, users.slice(0, 2))) });

    const { syncs } = await dispatch({}, lambdaContext());
    const reply = await sync(sqsEvent(syncs.map((message) => JSON.stringify(message))), lambdaContext('school-roster-dev-sync', 900_000));

    expect(reply).toEqual({ batchItemFailures: [] });
    const runs = await withClient(async (c) => (await c.query(`SELECT "districtId", status FROM roster_sync_runs ORDER BY "startedAt"`)).rows);
    expect(runs).toEqual([
      { districtId: a, status: 'succeeded' },
      { districtId: b, status: 'succeeded' },
    ]);
  });

  it("reports only the message that cannot run as failed: a district's failed run and the others' runs are done", async () => {
    const broken = await createDistrict('Broken', { rosterSource: writeRoster({ 'users.csv': 'sourcedId\n' }) });
    const good = await createDistrict('Good', { rosterSource: deploymentSource });
    const event = sqsEvent([JSON.stringify({ districtId: broken }), '{"districtId": "not-a-uuid"', JSON.stringify({ districtId: good, force: 'yes' }), JSON.stringify({ districtId: good })]);

    const reply = await sync(event, lambdaContext());

    expect(reply).toEqual({ batchItemFailures: [{ itemIdentifier: event.Records[1].messageId }, { itemIdentifier: event.Records[2].messageId }] });
    const runs = await withClient(async (c) => (await c.query(`SELECT "districtId", status FROM roster_sync_runs ORDER BY "startedAt"`)).rows);
    expect(runs).toEqual([
      { districtId: broken, status: 'failed' },
      { districtId: good, status: 'succeeded' },
    ]);
  });
});
