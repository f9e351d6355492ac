import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROUTES } from '../../shared/http/routes';
import { CANARY, packagedService } from '../support/package';

/**
 * What `serverless package` would deploy (docs/deploy.md, docs/security.md): every HTTP route behind the JWT authorizer,
 * one least-privilege role per function, no credential in the template or the zips.
 */
const ROOT = path.resolve(__dirname, '../..');
const SERVICE_PREFIX = 'school-roster-dev-';

/** The actions each function may hold; any other is a failure. Logs go to the function's own group. */
const BASE_ACTIONS = ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'secretsmanager:GetSecretValue'];
const EXTRA_ACTIONS: Record<string, string[]> = {
  // The sync reads the district's export, and consumes its queue (docs/decisions/0020-scheduling-districts.md).
  // It also invokes the OneRoster REST puller and deletes the copy it imported (docs/oneroster.md).
  sync: ['s3:GetObject', 's3:ListBucket', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'lambda:InvokeFunction', 's3:DeleteObject'],
  // The puller writes (and after a failure removes) its copy under pulls/ in the roster bucket.
  'roster-pull': ['s3:PutObject', 's3:DeleteObject', 's3:ListBucket'],
  // The deliverer invokes the webhook sender (docs/decisions/0022-webhook-egress-through-a-sender.md).
  deliver: ['lambda:InvokeFunction'],
};
/**
 * What Lambda needs to attach a VPC function's network interfaces (the actions of AWS's
 * AWSLambdaVPCAccessExecutionRole). AWS requires Resource "*" for them: the only wildcard allowed.
 */
const NETWORK_INTERFACE_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

type Resource = { Type: string; Properties: Record<string, any> };
let resources: Record<string, Resource>;
let texts: { name: string; text: string }[];

beforeAll(async () => {
  ({ texts } = await packagedService('create'));
  resources = JSON.parse(texts[0].text).Resources;
}, 300_000);

const ofType = (type: string) => Object.entries(resources).filter(([, resource]) => resource.Type === type);

describe('the packaged HTTP API', () => {
  // docs/decisions/0001: the gateway verifies the token; the scopes are the service's to check (403 problem+json).
  it('puts every route of the route table behind the roster JWT authorizer, with no scope on the gateway', () => {
    const routes = ofType('AWS::ApiGatewayV2::Route').map(([, route]) => route.Properties);

    expect(routes.map((route) => route.RouteKey).sort()).toEqual(Object.keys(ROUTES).sort());
    for (const route of routes) {
      expect({
        route: route.RouteKey,
        AuthorizationType: route.AuthorizationType,
        AuthorizerId: route.AuthorizerId,
        AuthorizationScopes: route.AuthorizationScopes,
      }).toEqual({
        route: route.RouteKey,
        AuthorizationType: 'JWT',
        AuthorizerId: { Ref: 'HttpApiAuthorizerRoster' },
        AuthorizationScopes: undefined,
      });
    }
  });

  it('leaves the migrate, sync, deliver, webhook-sender and roster-pull functions off the HTTP API (only their IAM invokers reach them)', () => {
    const integrated = JSON.stringify(ofType('AWS::ApiGatewayV2::Integration').map(([, integration]) => integration.Properties.IntegrationUri));
    const permissions = JSON.stringify(
      ofType('AWS::Lambda::Permission')
        .filter(([, permission]) => permission.Properties.Principal === 'apigateway.amazonaws.com')
        .map(([, permission]) => permission.Properties.FunctionName),
    );

    expect(resources.MigrateLambdaFunction).toBeDefined();
    for (const logicalId of ['MigrateLambdaFunction', 'SyncLambdaFunction', 'DeliverLambdaFunction', 'WebhookDashsenderLambdaFunction', 'RosterDashpullLambdaFunction']) {
      expect({ logicalId, onHttpApi: integrated.includes(logicalId) || permissions.includes(logicalId) }).toEqual({ logicalId, onHttpApi: false });
    }
  });

  it('verifies tokens of the configured issuer and audience, from the Authorization header', () => {
    expect(resources.HttpApiAuthorizerRoster.Properties).toEqual({
      ApiId: { Ref: 'HttpApi' },
      Name: 'roster',
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: expect.stringMatching(/^https:\/\//), Audience: [expect.any(String)] },
    });
  });

  it('allows only configured origins (CORS), lets browsers read the headers the API answers with, and throttles every route', () => {
    const { CorsConfiguration } = resources.HttpApi.Properties;
    expect(CorsConfiguration.AllowOrigins.length).toBeGreaterThan(0);
    expect(CorsConfiguration.AllowOrigins).not.toContain('*');
    expect(CorsConfiguration).toEqual(
      expect.objectContaining({
        AllowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
        AllowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'If-Match'],
        ExposeHeaders: ['Location', 'ETag', 'Retry-After', 'Idempotent-Replayed', 'X-Total-Count', 'Link'],
      }),
    );
    expect(resources.HttpApiStage.Properties.DefaultRouteSettings).toEqual({
      ThrottlingRateLimit: expect.any(Number),
      ThrottlingBurstLimit: expect.any(Number),
    });
  });
});

describe('the packaged IAM roles', () => {
  const functions = () =>
    ofType('AWS::Lambda::Function').map(([, fn]) => ({
      name: String(fn.Properties.FunctionName).replace(SERVICE_PREFIX, ''),
      role: fn.Properties.Role as { 'Fn::GetAtt'?: [string, string] },
    }));

  it('give each function a role of its own', () => {
    const roles = functions().map(({ role }) => role['Fn::GetAtt']?.[0]);

    expect(functions().length).toBeGreaterThanOrEqual(4);
    expect(new Set(roles).size).toBe(roles.length);
    for (const role of roles) expect(resources[role ?? '']?.Type).toBe('AWS::IAM::Role');
  });

  it('leave no role that no function assumes (the framework default role would collect stray grants)', () => {
    const assumed = new Set(functions().map(({ role }) => role['Fn::GetAtt']?.[0]));
    const lambdaRoles = ofType('AWS::IAM::Role')
      .filter(([, role]) => JSON.stringify(role.Properties.AssumeRolePolicyDocument).includes('lambda.amazonaws.com'))
      .map(([id]) => id);

    expect(lambdaRoles.length).toBeGreaterThanOrEqual(4);
    expect(lambdaRoles.filter((id) => !assumed.has(id))).toEqual([]);
  });

  it("list only the function's own actions, on its own resources (the database secret), with no wildcard but the network interfaces", () => {
    for (const { name, role } of functions()) {
      const properties = resources[role['Fn::GetAtt']![0]].Properties;
      const statements = properties.Policies.flatMap((policy: any) => policy.PolicyDocument.Statement);
      const allowed = [...BASE_ACTIONS, ...(EXTRA_ACTIONS[name] ?? [])];

      expect({ name, managed: properties.ManagedPolicyArns ?? [] }).toEqual({ name, managed: [] });
      for (const statement of statements) {
        const actions: string[] = [statement.Action].flat();
        const targets = [statement.Resource].flat().map((resource: unknown) => JSON.stringify(resource));
        expect({ name, effect: statement.Effect }).toEqual({ name, effect: 'Allow' });
        if (actions.every((action) => NETWORK_INTERFACE_ACTIONS.includes(action))) {
          expect({ name, actions: [...actions].sort(), targets }).toEqual({ name, actions: [...NETWORK_INTERFACE_ACTIONS].sort(), targets: ['"*"'] });
          continue;
        }
        for (const action of actions) {
          expect({ name, action, allowed: allowed.includes(action) && !action.includes('*') }).toEqual({ name, action, allowed: true });
        }
        for (const target of targets) {
          expect({ name, target, wildcard: target === '"*"' }).toEqual({ name, target, wildcard: false });
          // The functions read their own user's secret; migrate the administrator's, and the one it provisions.
          // webhooks and deliver also read the key that encrypts webhook signing secrets.
          // The roster puller reads only the districts' OneRoster credentials, one secret per district under a prefix.
          const secrets =
            name === 'migrate'
              ? ['{"Ref":"DbSecret"}', '{"Ref":"DbAppSecret"}']
              : ['webhooks', 'deliver'].includes(name)
                ? ['{"Ref":"DbAppSecret"}', '{"Ref":"WebhookKeySecret"}']
                : name === 'roster-pull'
                  ? [JSON.stringify({ 'Fn::Sub': 'arn:aws:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:school-roster/dev/districts/*' })]
                  : ['{"Ref":"DbAppSecret"}'];
          if (actions.includes('secretsmanager:GetSecretValue')) expect({ name, target, allowed: secrets.includes(target) }).toEqual({ name, target, allowed: true });
          if (actions.some((action) => action.startsWith('logs:'))) expect(target).toContain(`/aws/lambda/${SERVICE_PREFIX}${name}:`);
          if (actions.some((action) => action.startsWith('s3:'))) expect(target).toMatch(/^"arn:aws:s3:::[a-z0-9.-]+(\/[^*]*\*?)?"$/);
          if (actions.some((action) => action.startsWith('sqs:'))) expect(target).toBe('{"Fn::GetAtt":["SyncQueue","Arn"]}');
          if (actions.includes('lambda:InvokeFunction')) {
            expect(target).toBe(name === 'sync' ? '{"Fn::GetAtt":["RosterDashpullLambdaFunction","Arn"]}' : '{"Fn::GetAtt":["WebhookDashsenderLambdaFunction","Arn"]}');
          }
        }
      }
    }
  });

  it('grant no S3 access to any HTTP function', () => {
    const httpFunctions = new Set(
      ofType('AWS::ApiGatewayV2::Integration').map(([, integration]) => JSON.stringify(integration.Properties.IntegrationUri)),
    );
    expect(httpFunctions.size).toBeGreaterThan(0);
    const template = JSON.stringify(resources);
    for (const [logicalId, fn] of ofType('AWS::Lambda::Function')) {
      if (![...httpFunctions].some((uri) => uri.includes(logicalId))) continue;
      const role = resources[fn.Properties.Role['Fn::GetAtt'][0]];
      expect({ logicalId, s3: JSON.stringify(role).includes('s3:') }).toEqual({ logicalId, s3: false });
    }
    expect(template).not.toMatch(/"Action":\s*"\*"/);
  });
});

describe('the packaged output', () => {
  const secrets = (): [string, RegExp | string][] => {
    const found: [string, RegExp | string][] = [
      ['an AWS access key id', /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
      ['a private key block', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
      ['a URL with a password', /\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/"'`]+:[^\s@/"'`]+@/i],
      ['the packaging environment credential', CANARY],
    ];
    if (process.env.DATABASE_URL) found.push(['the local DATABASE_URL', process.env.DATABASE_URL]);
    const devKey = path.join(ROOT, '.data/auth/dev-signing-key.json');
    if (existsSync(devKey)) found.push(['the development signing key', JSON.parse(readFileSync(devKey, 'utf8')).privateJwk.d]);
    return found;
  };

  it('holds no plaintext credential in the template, the state or any file of any zip', () => {
    expect(texts.length).toBeGreaterThan(2);
    for (const { name, text } of texts) {
      for (const [label, pattern] of secrets()) {
        const hit = typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text);
        expect({ file: name, label, hit }).toEqual({ file: name, label, hit: false });
      }
    }
  });

  it('ships no OpenAPI generator in any function (it is dev tooling)', () => {
    const zipped = texts.filter(({ name }) => name.includes('.zip:'));
    expect(zipped.length).toBeGreaterThan(0);
    for (const { name, text } of zipped) expect({ name, generator: /OpenApiGeneratorV3|extendZodWithOpenApi/.test(text) }).toEqual({ name, generator: false });
  });

  it('sets no credential-like environment variable on any function', () => {
    for (const [logicalId, fn] of ofType('AWS::Lambda::Function')) {
      const names = Object.keys(fn.Properties.Environment?.Variables ?? {});
      // DB_SECRET_ID names where the secret lives (an ARN): it is not one.
      const credentialLike = names.filter((key) => /PASSWORD|SECRET|TOKEN|DATABASE_URL|PRIVATE|JWK/i.test(key) && !/_(ARN|ID)$/.test(key));
      expect({ logicalId, secrets: credentialLike }).toEqual({ logicalId, secrets: [] });
    }
  });
});
