import { resetDatabase } from '../support/db';
import { httpEvent, lambdaContext, type Invocable } from '../support/events';

/** The EMF entries the service prints while `work` runs (other stdout lines are not JSON metrics). */
async function captureMetrics(work: () => Promise<unknown>): Promise<any[]> {
  const lines: string[] = [];
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  });
  try {
    await work();
  } finally {
    out.mockRestore();
  }
  return lines.map((line) => JSON.parse(line)).filter((entry) => entry._aws?.CloudWatchMetrics);
}

/** One entry as a reader of CloudWatch sees it: namespace, dimension set, and metric values. */
const summarise = (entry: any) => {
  const [directive] = entry._aws.CloudWatchMetrics;
  const dimensions = Object.fromEntries(directive.Dimensions[0].map((name: string) => [name, entry[name]]));
  const values = Object.fromEntries(directive.Metrics.map((metric: { Name: string; Unit: string }) => [metric.Name, { unit: metric.Unit, value: entry[metric.Name] }]));
  return { namespace: directive.Namespace, dimensions, values };
};

// Metrics read POWERTOOLS_METRICS_DISABLED when they load (tests/support/worker-env.ts turns them off);
// a cold start is counted only where the Lambda runtime says the container is on-demand.
let createSchool: Invocable;
let publishSyncRun: typeof import('../../shared/metrics').publishSyncRun;
let closeConnections: () => Promise<void>;
beforeAll(() => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
  ({ handler: createSchool } = require('../../functions/create-school'));
  ({ publishSyncRun } = require('../../shared/metrics'));
  ({ closeConnections } = require('../../shared/db/sequelize'));
});
beforeEach(resetDatabase);
afterAll(async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
  await closeConnections();
});

const latency = { unit: 'Milliseconds', value: expect.any(Number) };

describe('request metrics', () => {
  it('count a cold start once, then every request by route template and status class, on success and on error', async () => {
    const context = lambdaContext('school-roster-prod-create-school');
    const entries = await captureMetrics(async () => {
      await createSchool(httpEvent({ route: 'POST /schools', body: { name: 'Hillside Primary' } }), context);
      await createSchool(httpEvent({ route: 'POST /schools', body: { name: '' } }), context);
      await createSchool(httpEvent({ route: 'POST /schools', body: '{"name":', headers: { 'content-type': 'application/json' } }), context);
    });

    expect(entries.map(summarise)).toEqual([
      {
        namespace: 'SchoolRoster',
        dimensions: { service: 'school-roster', stage: 'local', function_name: 'school-roster-prod-create-school' },
        values: { ColdStart: { unit: 'Count', value: 1 } },
      },
      {
        namespace: 'SchoolRoster',
        dimensions: { service: 'school-roster', stage: 'local', route: 'POST /schools', statusClass: '2xx' },
        values: { Requests: { unit: 'Count', value: 1 }, Latency: latency },
      },
      {
        namespace: 'SchoolRoster',
        dimensions: { service: 'school-roster', stage: 'local', route: 'POST /schools', statusClass: '4xx' },
        values: { Requests: { unit: 'Count', value: 1 }, Latency: latency },
      },
      {
        namespace: 'SchoolRoster',
        dimensions: { service: 'school-roster', stage: 'local', route: 'POST /schools', statusClass: '4xx' },
        values: { Requests: { unit: 'Count', value: 1 }, Latency: latency },
      },
    ]);
  });

  it('carry no id, path or body in any dimension or property', async () => {
    const entries = await captureMetrics(() => createSchool(httpEvent({ route: 'POST /schools', body: { name: 'Quarry Bank', code: 'QB-7' } }), lambdaContext()));

    expect(entries).toHaveLength(1);
    expect(JSON.stringify(entries)).not.toMatch(/Quarry Bank|QB-7|[0-9a-f]{8}-[0-9a-f]{4}-/);
  });
});

describe('error bodies', () => {
  it('name the Lambda request id of the invocation that failed', async () => {
    const context = lambdaContext();
    let result!: { statusCode: number; body: string };
    // Captured so that its metric line stays out of the test output.
    await captureMetrics(async () => {
      result = (await createSchool(httpEvent({ route: 'POST /schools', body: { nickname: 'x' } }), context)) as typeof result;
    });

    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body).requestId).toBe(context.awsRequestId);
  });
});

describe('publishSyncRun', () => {
  it('publishes SyncFailed for every run, the duration and each count, in the SchoolRoster namespace', async () => {
    const entries = await captureMetrics(async () => {
      publishSyncRun({ failed: false, durationMs: 1234, counts: { usersCreated: 3, rowErrors: 1 } });
      publishSyncRun({ failed: true, durationMs: 56, counts: {} });
    });

    expect(entries.map(summarise)).toEqual([
      {
        namespace: 'SchoolRoster',
        dimensions: { service: 'school-roster', stage: 'local' },
        values: {
          SyncFailed: { unit: 'Count', value: 0 },
          SyncDuration: { unit: 'Milliseconds', value: 1234 },
          usersCreated: { unit: 'Count', value: 3 },
          rowErrors: { unit: 'Count', value: 1 },
        },
      },
      {
        namespace: 'SchoolRoster',
        dimensions: { service: 'school-roster', stage: 'local' },
        values: { SyncFailed: { unit: 'Count', value: 1 }, SyncDuration: { unit: 'Milliseconds', value: 56 } },
      },
    ]);
  });
});
