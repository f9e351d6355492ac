/**
 * API Gateway HTTP API events and Lambda contexts as AWS hands them to a function: the tests and the
 * benchmarks build theirs here.
 */
import type { APIGatewayEventRequestContextJWTAuthorizer, APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { randomUUID } from 'node:crypto';

/**
 * A real API Gateway HTTP API (payload 2.0) event, as AWS documents it, with the parts a test varies
 * left to `httpEvent`.
 */
const BASE_EVENT: APIGatewayProxyEventV2 = {
  version: '2.0',
  routeKey: '$default',
  rawPath: '/',
  rawQueryString: '',
  headers: {
    accept: 'application/json',
    'content-length': '0',
    host: 'abc123.execute-api.eu-west-1.amazonaws.com',
    'user-agent': 'curl/8.5.0',
    'x-amzn-trace-id': 'Root=1-65f0c0de-0123456789abcdef01234567',
    'x-forwarded-for': '203.0.113.7',
    'x-forwarded-port': '443',
    'x-forwarded-proto': 'https',
  },
  requestContext: {
    accountId: '123456789012',
    apiId: 'abc123',
    domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
    domainPrefix: 'abc123',
    http: { method: 'GET', path: '/', protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'curl/8.5.0' },
    requestId: 'JKJaXmPLvHcESHA=',
    routeKey: '$default',
    stage: '$default',
    time: '12/Mar/2026:19:03:58 +0000',
    timeEpoch: 1773342238000,
  },
  isBase64Encoded: false,
};

/**
 * The claims API Gateway's JWT authorizer hands on for a verified access token that may read, write and
 * administer everything (not erase), as it hands them on: every value a string.
 */
export const FULL_ACCESS_CLAIMS: Readonly<Record<string, unknown>> = Object.freeze({
  sub: '3b1e2c5a-8d4f-4a7b-9c2e-1f0a6b7c8d9e',
  iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example',
  client_id: '5tqv7example2clientid',
  token_use: 'access',
  scope: 'roster/read roster/write roster/admin',
  auth_time: '1773342238',
  iat: '1773342238',
  exp: '1773345838',
  jti: '0d7a1c7e-6d5b-4c3e-8f1a-2b3c4d5e6f70',
});

export interface HttpEventInput {
  /** The route as declared, e.g. "GET /users/{userId}". */
  route: string;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** An object is sent as JSON; a string is sent as it is. */
  body?: unknown;
  /** The verified claims; FULL_ACCESS_CLAIMS by default, `null` for a request that carries no identity. */
  claims?: Record<string, unknown> | null;
}

function jwtAuthorizer(claims: Record<string, unknown>): APIGatewayEventRequestContextJWTAuthorizer {
  const scope = typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : null;
  return {
    principalId: '',
    integrationLatency: 0,
    jwt: { claims: claims as APIGatewayEventRequestContextJWTAuthorizer['jwt']['claims'], scopes: scope ?? [] },
  };
}

export function httpEvent(input: HttpEventInput): APIGatewayProxyEventV2 {
  const [method, template] = input.route.split(' ');
  // A lone surrogate cannot travel in a URL: it is sent as U+FFFD, as a client's UTF-8 encoder would.
  const path = template.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent(Buffer.from(input.pathParameters?.[name] ?? '', 'utf8').toString('utf8')),
  );
  const event = structuredClone(BASE_EVENT);
  const body = input.body === undefined ? undefined : typeof input.body === 'string' ? input.body : JSON.stringify(input.body);
  const rawQueryString = new URLSearchParams(input.query).toString();
  event.routeKey = input.route;
  event.rawPath = path;
  event.rawQueryString = rawQueryString;
  event.requestContext.routeKey = input.route;
  event.requestContext.http.method = method;
  event.requestContext.http.path = path;
  event.requestContext.requestId = randomUUID();
  event.headers = {
    ...event.headers,
    ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }),
    ...Object.fromEntries(Object.entries(input.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
  };
  if (input.pathParameters) event.pathParameters = input.pathParameters;
  if (input.query) event.queryStringParameters = input.query;
  if (body !== undefined) event.body = body;
  const claims = input.claims === undefined ? FULL_ACCESS_CLAIMS : input.claims;
  if (claims) Object.assign(event.requestContext, { authorizer: jwtAuthorizer({ ...claims }) });
  return event;
}

/** A Lambda context as the runtime passes it, with `getRemainingTimeInMillis` counting down from `timeoutMs`. */
export function lambdaContext(functionName = 'school-roster-test', timeoutMs = 10_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/11/27/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
