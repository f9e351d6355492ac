import { readFileSync } from 'node:fs';
import path from 'node:path';
import { METRICS_NAMESPACE, SYNC_FAILED_METRIC } from '../../shared/metrics';
import { MODE_PARAMS, packagedService } from '../support/package';

/**
 * The CloudFormation template `serverless package` builds, in both database modes (docs/deploy.md): what a
 * deploy would create, checked without an AWS account.
 */
type Resource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string; DependsOn?: unknown };
type Template = { Resources: Record<string, Resource>; Conditions?: Record<string, unknown> };
const templates = {} as Record<'create' | 'existing', Template>;

beforeAll(async () => {
  templates.create = (await packagedService('create')).template;
  templates.existing = (await packagedService('existing')).template;
}, 600_000);

const ofType = (template: Template, type: string) => Object.entries(template.Resources).filter(([, resource]) => resource.Type === type);
const functionIds = (template: Template) => ofType(template, 'AWS::Lambda::Function').map(([id]) => id);

/** docs/api.md#routes: each route and the function that serves it. */
const API_ROUTES: Record<string, string> = {
  'POST /users': 'CreateDashuserLambdaFunction',
  'POST /schools': 'CreateDashschoolLambdaFunction',
  'PUT /schools/{schoolId}/users/{userId}': 'LinkLambdaFunction',
  'DELETE /schools/{schoolId}/users/{userId}': 'LinkLambdaFunction',
  'GET /users': 'ListLambdaFunction',
  'GET /schools': 'ListLambdaFunction',
  'GET /users/{userId}': 'ListLambdaFunction',
  'GET /schools/{schoolId}': 'ListLambdaFunction',
  'GET /users/{userId}/schools': 'ListLambdaFunction',
  'GET /schools/{schoolId}/users': 'ListLambdaFunction',
  'POST /districts': 'DistrictsLambdaFunction',
  'GET /districts': 'DistrictsLambdaFunction',
  'GET /districts/{districtId}': 'DistrictsLambdaFunction',
  'PATCH /districts/{districtId}': 'DistrictsLambdaFunction',
  'DELETE /districts/{districtId}': 'DistrictsLambdaFunction',
  'GET /districts/{districtId}/syncs': 'DistrictsLambdaFunction',
  'GET /districts/{districtId}/syncs/{runId}': 'DistrictsLambdaFunction',
  'GET /changes': 'ChangesLambdaFunction',
  'POST /webhooks': 'WebhooksLambdaFunction',
  'GET /webhooks': 'WebhooksLambdaFunction',
  'GET /webhooks/{webhookId}': 'WebhooksLambdaFunction',
  'DELETE /webhooks/{webhookId}': 'WebhooksLambdaFunction',
  'GET /ims/oneroster/rostering/v1p2/orgs': 'OnerosterLambdaFunction',
  'GET /ims/oneroster/rostering/v1p2/orgs/{sourcedId}': 'OnerosterLambdaFunction',
  'GET /ims/oneroster/rostering/v1p2/schools': 'OnerosterLambdaFunction',
  'GET /ims/oneroster/rostering/v1p2/schools/{sourcedId}': 'OnerosterLambdaFunction',
  'GET /ims/oneroster/rostering/v1p2/users': 'OnerosterLambdaFunction',
  'GET /ims/oneroster/rostering/v1p2/users/{sourcedId}': 'OnerosterLambdaFunction',
  'GET /ims/oneroster/rostering/v1p2/students': 'OnerosterLambdaFunction',
  'GET /ims/oneroster/rostering/v1p2/students/{sourcedId}': 'OnerosterLambdaFunction',
  'GET /ims/oneroster/rostering/v1p2/teachers': 'OnerosterLambdaFunction',
  'GET /ims/oneroster/rostering/v1p2/teachers/{sourcedId}': 'OnerosterLambdaFunction',
  'GET /ims/oneroster/rostering/v1p2/schools/{sourcedId}/students': 'OnerosterLambdaFunction',
  'GET /ims/oneroster/rostering/v1p2/schools/{sourcedId}/teachers': 'OnerosterLambdaFunction',
};

/** A function outside the VPC: it sends signed webhook deliveries to the internet (docs/change-feed.md). */
const SENDER = 'WebhookDashsenderLambdaFunction';
/** The other: it pulls a district's roster from its SIS's OneRoster REST service (docs/oneroster.md). */
const PULLER = 'RosterDashpullLambdaFunction';
const OUTSIDE_VPC = [SENDER, PULLER];

/** The resources that make up the database the stack creates in `create` mode. */
/** Where the districts' OneRoster client credentials are kept: one secret per district under this prefix. */
const DISTRICT_SECRETS = { 'Fn::Sub': 'arn:aws:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:school-roster/dev/districts/*' };

const DATABASE_TYPES = [
  'AWS::EC2::VPC',
  'AWS::EC2::VPCEndpoint',
  'AWS::RDS::DBCluster',
  'AWS::RDS::DBInstance',
  'AWS::RDS::DBProxy',
  'AWS::RDS::DBProxyTargetGroup',
  'AWS::SecretsManager::Secret',
];

describe.each(['create', 'existing'] as const)('the packaged stack (databaseMode=%s)', (mode) => {
  const template = () => templates[mode];

  it('routes every route of the API (docs/api.md), and only those, to its function', () => {
    const integrations = Object.fromEntries(ofType(template(), 'AWS::ApiGatewayV2::Integration').map(([id, resource]) => [id, JSON.stringify(resource.Properties.IntegrationUri)]));
    const routed = Object.fromEntries(
      ofType(template(), 'AWS::ApiGatewayV2::Route').map(([, route]) => {
        const integrationId = route.Properties.Target['Fn::Join'][1][1].Ref as string;
        const fn = Object.keys(API_ROUTES).map((key) => API_ROUTES[key]).find((id) => integrations[integrationId]?.includes(`"${id}"`));
        return [route.Properties.RouteKey, fn];
      }),
    );

    expect(routed).toEqual(API_ROUTES);
  });

  it('runs every function but the webhook sender and the roster puller in the private subnets, in the security group the database admits', () => {
    const expected =
      mode === 'create'
        ? { SecurityGroupIds: [{ Ref: 'FunctionSecurityGroup' }], SubnetIds: [{ Ref: 'PrivateSubnetA' }, { Ref: 'PrivateSubnetB' }] }
        : { SecurityGroupIds: [MODE_PARAMS.existing.dbSecurityGroupId], SubnetIds: { 'Fn::Split': [',', MODE_PARAMS.existing.privateSubnetIds] } };

    expect(functionIds(template()).length).toBeGreaterThanOrEqual(5);
    for (const [id, fn] of ofType(template(), 'AWS::Lambda::Function')) {
      expect({ id, vpc: fn.Properties.VpcConfig }).toEqual({ id, vpc: OUTSIDE_VPC.includes(id) ? undefined : expected });
    }
  });

  it('sends webhook deliveries from outside the VPC: deliver (in it) may invoke only the sender, which holds no database or secret access', () => {
    const resources = template().Resources;
    const statementsOf = (fn: string) => resources[fn.replace('LambdaFunction', 'IamRoleLambdaExecution')].Properties.Policies[0].PolicyDocument.Statement as any[];
    const invokers = functionIds(template()).filter((id) => statementsOf(id).some((statement) => [statement.Action].flat().includes('lambda:InvokeFunction')));

    expect(resources.DeliverLambdaFunction.Properties.VpcConfig).toBeDefined();
    expect(invokers.sort()).toEqual(['DeliverLambdaFunction', 'SyncLambdaFunction']);
    expect(statementsOf('DeliverLambdaFunction').find((statement) => [statement.Action].flat().includes('lambda:InvokeFunction')).Resource).toEqual({ 'Fn::GetAtt': [SENDER, 'Arn'] });
    expect(resources.DeliverLambdaFunction.Properties.Environment.Variables.WEBHOOK_SENDER_FUNCTION).toEqual({ Ref: SENDER });
    expect(JSON.stringify(statementsOf(SENDER))).not.toMatch(/secretsmanager|ec2:|rds|s3:/);
    expect(resources[SENDER].Properties.Timeout).toBeGreaterThan(10);
  });

  // docs/decisions/0023-oneroster-rest-pull-outside-the-vpc.md
  it('pulls OneRoster REST rosters from outside the VPC: only the sync may invoke the puller, which reads only the districts\' secrets and writes only pulls/ in the roster bucket, within the sync\'s time', () => {
    const resources = template().Resources;
    const statementsOf = (fn: string) => resources[fn.replace('LambdaFunction', 'IamRoleLambdaExecution')].Properties.Policies[0].PolicyDocument.Statement as any[];
    const puller = resources[PULLER].Properties;
    const sync = resources.SyncLambdaFunction.Properties;

    expect(puller.VpcConfig).toBeUndefined();
    expect(puller.Environment.Variables).toEqual(expect.objectContaining({ ROSTER_PULL_BUCKET: 'school-roster-exports-dev', ROSTER_CREDENTIALS_PREFIX: 'school-roster/dev/districts/' }));
    // Its role's own statements (the plugin adds its log group's): no database secret, no network interfaces, no other bucket key.
    expect(statementsOf(PULLER).filter((statement) => ![statement.Action].flat().some((action: string) => action.startsWith('logs:')))).toEqual([
      { Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: DISTRICT_SECRETS },
      { Effect: 'Allow', Action: ['s3:PutObject', 's3:DeleteObject'], Resource: 'arn:aws:s3:::school-roster-exports-dev/pulls/*' },
      { Effect: 'Allow', Action: ['s3:ListBucket'], Resource: 'arn:aws:s3:::school-roster-exports-dev', Condition: { StringLike: { 's3:prefix': ['pulls/*'] } } },
    ]);
    // The sync invokes it, named by its environment, and may delete the copies under pulls/ and nothing else.
    expect(sync.Environment.Variables.ROSTER_PULL_FUNCTION).toEqual({ Ref: PULLER });
    expect(statementsOf('SyncLambdaFunction').filter((statement) => [statement.Action].flat().some((action: string) => action === 'lambda:InvokeFunction' || action === 's3:DeleteObject'))).toEqual([
      { Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: { 'Fn::GetAtt': [PULLER, 'Arn'] } },
      { Effect: 'Allow', Action: ['s3:DeleteObject'], Resource: 'arn:aws:s3:::school-roster-exports-dev/pulls/*' },
    ]);
    const invokersOfPuller = functionIds(template()).filter((id) => JSON.stringify(statementsOf(id)).includes(`"${PULLER}"`));
    expect(invokersOfPuller).toEqual(['SyncLambdaFunction']);
    // The pull ends within the sync's budget, leaving it most of its time to import: at most a third.
    expect(puller.Timeout * 3).toBeLessThanOrEqual(sync.Timeout);
    // A synchronous invoke through an interface endpoint is dropped after ~350 s without a byte.
    expect(puller.Timeout).toBeLessThan(350);
  });

  it('points every function at the database and its secret, never at a password: migrate as the administrator', () => {
    const expected = (id: string) =>
      mode === 'create'
        ? {
            DB_HOST: { 'Fn::GetAtt': ['DbProxy', 'Endpoint'] },
            DB_SECRET_ID: { Ref: id === 'MigrateLambdaFunction' ? 'DbSecret' : 'DbAppSecret' },
            DB_APP_SECRET_ID: id === 'MigrateLambdaFunction' ? { Ref: 'DbAppSecret' } : undefined,
          }
        : { DB_HOST: MODE_PARAMS.existing.dbHost, DB_SECRET_ID: MODE_PARAMS.existing.dbSecretArn, DB_APP_SECRET_ID: id === 'MigrateLambdaFunction' ? '' : undefined };

    for (const [id, fn] of ofType(template(), 'AWS::Lambda::Function')) {
      const { DB_HOST, DB_SECRET_ID, DB_APP_SECRET_ID, DB_USER, STAGE } = fn.Properties.Environment.Variables;
      expect({ id, DB_HOST, DB_SECRET_ID, DB_APP_SECRET_ID, DB_USER, STAGE }).toEqual({ id, ...expected(id), DB_USER: 'roster_app', STAGE: 'dev' });
    }
  });

  it("tells every function its own timeout, in milliseconds, as FUNCTION_TIMEOUT_MS (the pool's bounds are derived from it)", () => {
    const timeouts = ofType(template(), 'AWS::Lambda::Function').map(([id, fn]) => ({
      id,
      timeout: fn.Properties.Timeout,
      FUNCTION_TIMEOUT_MS: fn.Properties.Environment.Variables.FUNCTION_TIMEOUT_MS,
    }));

    expect(timeouts).toEqual(timeouts.map(({ id, timeout }) => ({ id, timeout, FUNCTION_TIMEOUT_MS: String(timeout * 1000) })));
    expect(new Set(timeouts.map(({ timeout }) => timeout))).toEqual(new Set([10, 300, 900, 60, 15]));
    // Written once: serverless.yml derives each FUNCTION_TIMEOUT_MS from a `timeout`, never a second number.
    const settings = readFileSync(path.join(__dirname, '../../serverless.yml'), 'utf8').match(/FUNCTION_TIMEOUT_MS:.*/g);
    expect(settings).toEqual(settings?.map(() => expect.stringMatching(/^FUNCTION_TIMEOUT_MS: \$\{self:(provider|functions\.[a-z-]+)\.timeout\}000$/)));
    expect(settings?.length).toBe(7);
  });

  it('starts every function but migrate, the webhook sender (deliver invokes it) and the roster puller (the sync invokes it) from the HTTP API, a schedule (housekeeping, deliver), the sync queue or the sync fan-out state machine', () => {
    const scheduled = JSON.stringify(ofType(template(), 'AWS::Events::Rule').filter(([, rule]) => rule.Properties.ScheduleExpression));
    const onApi = JSON.stringify(ofType(template(), 'AWS::ApiGatewayV2::Integration'));
    const queued = JSON.stringify(ofType(template(), 'AWS::Lambda::EventSourceMapping'));
    const stateMachines = JSON.stringify(ofType(template(), 'AWS::StepFunctions::StateMachine'));
    const started = functionIds(template()).map((id) => ({
      id,
      by: [
        onApi.includes(`"${id}"`) && 'HTTP API',
        scheduled.includes(`"${id}"`) && 'schedule',
        queued.includes(`"${id}"`) && 'queue',
        stateMachines.includes(`"${id}"`) && 'state machine',
      ].filter(Boolean),
    }));

    const expected: Record<string, string[]> = {
      MigrateLambdaFunction: [],
      [SENDER]: [],
      [PULLER]: [],
      SyncLambdaFunction: ['queue'],
      SyncDashdispatchLambdaFunction: ['state machine'],
      DeliverLambdaFunction: ['schedule'],
      HousekeepingLambdaFunction: ['schedule'],
    };
    expect(started).toEqual(functionIds(template()).map((id) => ({ id, by: expected[id] ?? ['HTTP API'] })));
  });

  // docs/decisions/0020-scheduling-districts.md
  it('schedules the districts: a rule starts the fan-out, which claims the due districts and queues one message each for the sync', () => {
    const resources = template().Resources;
    const rule = ofType(template(), 'AWS::Events::Rule')
      .map(([, r]) => r.Properties)
      .filter((properties) => JSON.stringify(properties.Targets).includes('SyncFanOutStateMachine'));
    expect(rule).toEqual([
      {
        Description: expect.any(String),
        ScheduleExpression: 'rate(5 minutes)',
        State: 'ENABLED',
        Targets: [{ Id: 'sync-fan-out', Arn: { Ref: 'SyncFanOutStateMachine' }, RoleArn: { 'Fn::GetAtt': ['SyncDispatchRuleRole', 'Arn'] } }],
      },
    ]);

    const machine = resources.SyncFanOutStateMachine.Properties;
    expect(machine.DefinitionSubstitutions).toEqual({
      DispatchFunctionArn: { 'Fn::GetAtt': ['SyncDashdispatchLambdaFunction', 'Arn'] },
      SyncQueueUrl: { Ref: 'SyncQueue' },
    });
    const { States, StartAt } = machine.Definition;
    expect(States[StartAt]).toEqual(expect.objectContaining({ Resource: 'arn:aws:states:::lambda:invoke', Next: 'SendEachDistrict' }));
    expect(States.SendEachDistrict).toEqual(expect.objectContaining({ Type: 'Map', ItemsPath: '$.syncs', End: true }));
    expect(States.SendEachDistrict.ItemProcessor.States.SendToSyncQueue).toEqual(
      expect.objectContaining({ Resource: 'arn:aws:states:::sqs:sendMessage', Parameters: { QueueUrl: '${SyncQueueUrl}', 'MessageBody.$': '$' } }),
    );
    // The state machine may invoke the dispatch and send to the queue, nothing else.
    expect(resources.SyncFanOutRole.Properties.Policies[0].PolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: { 'Fn::GetAtt': ['SyncDashdispatchLambdaFunction', 'Arn'] } },
      { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: { 'Fn::GetAtt': ['SyncQueue', 'Arn'] } },
    ]);
  });

  it('runs each queued district in its own invocation, at most rosterSyncConcurrency at once, a failing message alone retried and then parked', () => {
    const resources = template().Resources;
    const mappings = ofType(template(), 'AWS::Lambda::EventSourceMapping').map(([, m]) => m.Properties);
    expect(mappings).toEqual([
      expect.objectContaining({
        EventSourceArn: { 'Fn::GetAtt': ['SyncQueue', 'Arn'] },
        FunctionName: { 'Fn::GetAtt': ['SyncLambdaFunction', 'Arn'] },
        BatchSize: 1,
        ScalingConfig: { MaximumConcurrency: 4 },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        Enabled: true,
      }),
    ]);
    // A message is never handed to a second invocation while its run may still be going.
    expect(resources.SyncQueue.Properties.VisibilityTimeout).toBeGreaterThan(resources.SyncLambdaFunction.Properties.Timeout);
    expect(resources.SyncQueue.Properties.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': ['SyncDeadLetterQueue', 'Arn'] }, maxReceiveCount: 3 });
    expect(resources.SyncDeadLettersAlarm.Properties.Dimensions).toEqual([{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['SyncDeadLetterQueue', 'QueueName'] } }]);
    // The sync may only consume its queue: receive and delete, no send.
    const statements = resources.SyncIamRoleLambdaExecution.Properties.Policies[0].PolicyDocument.Statement;
    expect(statements.filter((statement: any) => [statement.Action].flat().some((action: string) => action.startsWith('sqs:')))).toEqual([
      { Effect: 'Allow', Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], Resource: [{ 'Fn::GetAtt': ['SyncQueue', 'Arn'] }] },
    ]);
    expect(resources.SyncLambdaFunction.Properties.Environment.Variables.ROSTER_SYNC_SCHEDULE).toBe('rate(1 day)');
  });

  it('keeps every log group for the configured retention', () => {
    const groups = ofType(template(), 'AWS::Logs::LogGroup');
    expect(groups.map(([id]) => id).sort()).toEqual(functionIds(template()).map((id) => id.replace('LambdaFunction', 'LogGroup')).sort());
    for (const [id, group] of groups) expect({ id, days: group.Properties.RetentionInDays }).toEqual({ id, days: 30 });
  });

  it('alarms on API 5xx, on every function\'s errors and throttles, and on a failed sync', () => {
    const alarms = template().Resources;
    const summed = (alarm: Resource) => {
      const metrics = alarm.Properties.Metrics as any[];
      const total = metrics.find((metric) => metric.ReturnData);
      return {
        expression: total.Expression,
        functions: metrics.filter((metric) => !metric.ReturnData).map((metric) => ({ id: metric.Id, fn: metric.MetricStat.Metric.Dimensions[0].Value.Ref, metric: metric.MetricStat.Metric.MetricName })),
      };
    };
    const everyFunction = (metric: string) => {
      const ids = (alarm: Resource) => summed(alarm).functions.map((entry) => entry.id);
      return (alarm: Resource) => ({
        expression: `SUM([${ids(alarm).join(', ')}])`,
        functions: functionIds(template()).map((fn) => ({ id: expect.any(String), fn, metric })),
      });
    };

    expect(alarms.ApiServerErrorsAlarm.Properties).toEqual(
      expect.objectContaining({ Namespace: 'AWS/ApiGateway', MetricName: '5xx', Dimensions: [{ Name: 'ApiId', Value: { Ref: 'HttpApi' } }, { Name: 'Stage', Value: '$default' }] }),
    );
    expect(summed(alarms.FunctionErrorsAlarm)).toEqual(everyFunction('Errors')(alarms.FunctionErrorsAlarm));
    expect(summed(alarms.FunctionThrottlesAlarm)).toEqual(everyFunction('Throttles')(alarms.FunctionThrottlesAlarm));
    expect(alarms.SyncFailedAlarm.Properties).toEqual(
      expect.objectContaining({
        Namespace: METRICS_NAMESPACE,
        MetricName: SYNC_FAILED_METRIC,
        Dimensions: [{ Name: 'service', Value: 'school-roster' }, { Name: 'stage', Value: 'dev' }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      }),
    );
    for (const id of ['ApiServerErrorsAlarm', 'FunctionErrorsAlarm', 'FunctionThrottlesAlarm', 'SyncFailedAlarm']) {
      // No topic configured: the condition is false and the alarms notify nobody.
      expect({ id, actions: alarms[id].Properties.AlarmActions }).toEqual({ id, actions: { 'Fn::If': ['NotifyAlarmTopic', [''], { Ref: 'AWS::NoValue' }] } });
    }
    expect(template().Conditions?.NotifyAlarmTopic).toEqual({ 'Fn::Not': [{ 'Fn::Equals': ['', ''] }] });
  });

  it('holds no literal password in any resource property', () => {
    const literal: string[] = [];
    const walk = (value: unknown, at: string) => {
      if (value && typeof value === 'object') for (const [key, child] of Object.entries(value)) walk(child, `${at}.${key}`);
      else if (/password/i.test(at.split('.').pop() ?? '') && typeof value === 'string' && !value.startsWith('{{resolve:secretsmanager:')) literal.push(at);
    };
    walk(template().Resources, 'Resources');
    expect(literal).toEqual([]);
  });

  if (mode === 'existing') {
    it('creates no database, proxy, database secret or network, and grants only the named secret (and the webhook key)', () => {
      expect(DATABASE_TYPES.flatMap((type) => ofType(template(), type).map(([id]) => id))).toEqual(['WebhookKeySecret']);
      for (const id of functionIds(template())) {
        const role = template().Resources[id.replace('LambdaFunction', 'IamRoleLambdaExecution')];
        const statements = role.Properties.Policies[0].PolicyDocument.Statement;
        const webhookKey = ['WebhooksLambdaFunction', 'DeliverLambdaFunction'].includes(id) ? [{ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: { Ref: 'WebhookKeySecret' } }] : [];
        const database = OUTSIDE_VPC.includes(id) ? [] : [{ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: MODE_PARAMS.existing.dbSecretArn }];
        const districtCredentials = id === PULLER ? [{ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: DISTRICT_SECRETS }] : [];
        expect(statements.filter((statement: any) => [statement.Action].flat().some((action: string) => action.startsWith('secretsmanager:')))).toEqual([...database, ...webhookKey, ...districtCredentials]);
      }
    });
    return;
  }

  it('creates the database: Aurora PostgreSQL Serverless v2 behind an RDS Proxy, with generated secrets for its administrator and the functions', () => {
    const resources = template().Resources;
    expect(DATABASE_TYPES.map((type) => [type, ofType(template(), type).length > 0])).toEqual(DATABASE_TYPES.map((type) => [type, true]));

    for (const [secret, username] of [['DbSecret', 'roster_admin'], ['DbAppSecret', 'roster_app']]) {
      expect(resources[secret].Properties.GenerateSecretString).toEqual(
        expect.objectContaining({ SecretStringTemplate: `{"username": "${username}"}`, GenerateStringKey: 'password', PasswordLength: 40 }),
      );
      expect(resources[secret].Properties).not.toHaveProperty('SecretString');
    }
    expect(resources.DbCluster).toEqual(
      expect.objectContaining({
        DeletionPolicy: 'Snapshot',
        Properties: expect.objectContaining({
          Engine: 'aurora-postgresql',
          MasterUsername: { 'Fn::Sub': '{{resolve:secretsmanager:${DbSecret}:SecretString:username}}' },
          MasterUserPassword: { 'Fn::Sub': '{{resolve:secretsmanager:${DbSecret}:SecretString:password}}' },
          ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 4 },
          StorageEncrypted: true,
          VpcSecurityGroupIds: [{ Ref: 'DbSecurityGroup' }],
        }),
      }),
    );
    expect(resources.DbInstance.Properties).toEqual(expect.objectContaining({ DBInstanceClass: 'db.serverless', DBClusterIdentifier: { Ref: 'DbCluster' }, PubliclyAccessible: false }));
    expect(resources.DbProxy.Properties).toEqual(
      expect.objectContaining({
        EngineFamily: 'POSTGRESQL',
        RequireTLS: true,
        Auth: [
          { AuthScheme: 'SECRETS', SecretArn: { Ref: 'DbAppSecret' }, IAMAuth: 'DISABLED' },
          { AuthScheme: 'SECRETS', SecretArn: { Ref: 'DbSecret' }, IAMAuth: 'DISABLED' },
        ],
        VpcSecurityGroupIds: [{ Ref: 'ProxySecurityGroup' }],
      }),
    );
    expect(resources.DbProxyTargetGroup.Properties.DBClusterIdentifiers).toEqual([{ Ref: 'DbCluster' }]);
  });

  it('lets only the functions reach the proxy, only the proxy reach the database, and nothing reach the internet', () => {
    const resources = template().Resources;
    const ingress = (id: string) => resources[id].Properties.SecurityGroupIngress.map((rule: any) => ({ port: rule.FromPort, from: rule.SourceSecurityGroupId ?? rule.CidrIp }));

    expect(ingress('DbSecurityGroup')).toEqual([{ port: 5432, from: { Ref: 'ProxySecurityGroup' } }]);
    expect(ingress('ProxySecurityGroup')).toEqual([{ port: 5432, from: { Ref: 'FunctionSecurityGroup' } }]);
    expect(ingress('EndpointSecurityGroup')).toEqual([
      { port: 443, from: { Ref: 'FunctionSecurityGroup' } },
      { port: 443, from: { Ref: 'ProxySecurityGroup' } },
    ]);
    expect(resources.FunctionSecurityGroup.Properties.SecurityGroupIngress).toBeUndefined();
    for (const type of ['AWS::EC2::InternetGateway', 'AWS::EC2::NatGateway', 'AWS::EC2::EIP']) expect(ofType(template(), type)).toEqual([]);
    expect(ofType(template(), 'AWS::EC2::Subnet').map(([, subnet]) => subnet.Properties.MapPublicIpOnLaunch)).toEqual([false, false]);
    expect(
      ofType(template(), 'AWS::EC2::VPCEndpoint').map(([, endpoint]) => [endpoint.Properties.VpcEndpointType, endpoint.Properties.ServiceName['Fn::Sub']]),
    ).toEqual([
      ['Gateway', 'com.amazonaws.${AWS::Region}.s3'],
      ['Interface', 'com.amazonaws.${AWS::Region}.secretsmanager'],
      ['Interface', 'com.amazonaws.${AWS::Region}.lambda'],
    ]);
  });

  it('reaches the webhook sender and the roster puller from the private subnets through a Lambda endpoint whose policy allows only invoking them', () => {
    const endpoint = template().Resources.LambdaEndpoint.Properties;
    expect(endpoint).toEqual(
      expect.objectContaining({
        VpcEndpointType: 'Interface',
        PrivateDnsEnabled: true,
        SubnetIds: [{ Ref: 'PrivateSubnetA' }, { Ref: 'PrivateSubnetB' }],
        SecurityGroupIds: [{ Ref: 'EndpointSecurityGroup' }],
      }),
    );
    expect(endpoint.PolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Principal: '*', Action: 'lambda:InvokeFunction', Resource: [{ 'Fn::GetAtt': [SENDER, 'Arn'] }, { 'Fn::GetAtt': [PULLER, 'Arn'] }] },
    ]);
  });
});
