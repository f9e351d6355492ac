import { ValidationError } from '../../shared/errors';
import { createDistrict } from '../support/districts';
import { lambdaContext } from '../support/events';
import { resetRoster, roster11, smallDistrict11, writeRoster } from '../support/roster';

const { orgs, users } = smallDistrict11();
const scheduledSource = writeRoster(roster11(orgs, users));
// The function's configuration is read at load: ROSTER_SOURCE is what a deployed stage sets.
process.env.ROSTER_SOURCE = scheduledSource;
// The logger reads its level when it loads (tests/support/worker-env.ts silences it elsewhere).
process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
const { handler } = require('../../functions/sync') as typeof import('../../functions/sync');
const { getSequelize } = require('../../shared/db/sequelize') as typeof import('../../shared/db/sequelize');

/** EventBridge's scheduled event, as AWS documents it. */
const SCHEDULED_EVENT = {
  version: '0',
  id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '123456789012',
  time: '2026-11-27T04:00:00Z',
  region: 'eu-west-1',
  resources: ['arn:aws:events:eu-west-1:123456789012:rule/school-roster-dev-sync'],
  detail: {},
};

afterAll(() => getSequelize().close());
beforeEach(resetRoster);
beforeEach(() => jest.spyOn(process.stdout, 'write').mockImplementation(() => true));
afterEach(() => jest.restoreAllMocks());

describe('the sync function', () => {
  it('syncs ROSTER_SOURCE on its schedule and returns the summary', async () => {
    const summary = await handler(structuredClone(SCHEDULED_EVENT), lambdaContext('school-roster-dev-sync', 900_000));

    expect(summary).toMatchObject({ status: 'succeeded', source: scheduledSource, force: false, users: { created: 4 } });
  });

  it('syncs the source and force given by hand', async () => {
    const other = writeRoster(roster11(orgs, users.slice(0, 1)));

    const summary = await handler({ source: other, force: true }, lambdaContext());

    expect(summary).toMatchObject({ status: 'succeeded', source: other, force: true, users: { created: 1 } });
  });

  it('syncs the district a hand invocation names, beside another', async () => {
    await createDistrict('Alpha');
    const beta = await createDistrict('Beta', { rosterSource: scheduledSource });

    const summary = await handler({ districtId: beta }, lambdaContext());

    expect(summary).toMatchObject({ status: 'succeeded', districtId: beta, source: scheduledSource, users: { created: 4 } });
  });

  it('logs a one-line summary of each run, as JSON', async () => {
    await handler({}, lambdaContext());

    const lines = (process.stdout.write as unknown as jest.Mock).mock.calls.flatMap(([chunk]) => String(chunk).split('\n').filter(Boolean));
    const summary = lines.map((line) => JSON.parse(line)).find((entry) => entry.message === 'roster sync');
    expect(summary).toMatchObject({ level: 'INFO', message: 'roster sync', status: 'succeeded', users: { created: 4 } });
  });

  it('rejects a hand invocation of another shape, naming the bad fields', async () => {
    const error = await handler({ source: 3, forced: true, districtId: 'district-7' }, lambdaContext()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({
      statusCode: 400,
      message: 'The sync event is not valid.',
      errors: [
        { path: 'districtId', message: 'Invalid UUID' },
        { path: 'source', message: 'Invalid input: expected string, received number' },
        { path: 'forced', message: 'is not a known field' },
      ],
    });
  });
});
