import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { buildOpenApiDocument } from '../../scripts/openapi-document';
import { ONEROSTER_CORE_SCOPE, ROUTES, type Route } from '../../shared/http/routes';
import { FULL_ACCESS_CLAIMS, httpEvent, lambdaContext, type Invocable } from '../support/events';

/**
 * The route table (shared/http/routes.ts) is the one source: openapi.json, serverless.yml's httpApi
 * events and each function's dispatch are checked against it. openapi.json is what `npm run openapi`
 * writes, a valid OpenAPI 3.1 document, and clean under Redocly's recommended rules.
 */
const ROOT = path.resolve(__dirname, '../..');
const OPENAPI_FILE = path.join(ROOT, 'openapi.json');
const checkedIn = JSON.parse(readFileSync(OPENAPI_FILE, 'utf8'));
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

const documentRoutes = (document: any) =>
  Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([template, item]) =>
    Object.keys(item)
      .filter((key) => METHODS.includes(key))
      .map((method) => `${method.toUpperCase()} ${template}`),
  );

/** `METHOD /path` -> function name and the authorizer event, from serverless.yml (its `!Sub`-style tags kept as plain values). */
function serverlessRoutes(): Map<string, { name: string; authorizer: unknown }> {
  const config = parse(readFileSync(path.join(ROOT, 'serverless.yml'), 'utf8'), {
    customTags: ['Sub', 'Ref', 'GetAtt', 'If', 'Equals', 'Not', 'Join', 'Select', 'Split'].map((tag) => ({ tag: `!${tag}`, resolve: (value: unknown) => value })),
  });
  const routes = new Map<string, { name: string; authorizer: unknown }>();
  for (const [name, fn] of Object.entries<any>(config.functions)) {
    for (const event of fn.events ?? []) {
      if (event.httpApi) routes.set(`${event.httpApi.method.toUpperCase()} ${event.httpApi.path}`, { name, authorizer: event.httpApi.authorizer });
    }
  }
  return routes;
}

describe('serverless.yml', () => {
  it('routes every route of the route table, and only those, to the function the table names, behind the authorizer with no scopes', () => {
    const fromTable = Object.fromEntries(Object.entries(ROUTES).map(([route, { function: name }]) => [route, { name, authorizer: { name: 'roster' } }]));

    expect(Object.fromEntries(serverlessRoutes())).toEqual(fromTable);
  });
});

describe('openapi.json', () => {
  it('is what npm run openapi generates from the current schemas (run it after changing a schema)', () => {
    expect(checkedIn).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument())));
  });

  it('is a valid OpenAPI 3.1 document', () => {
    // The validator is an ES module that Jest's loader cannot require: it runs in its own Node process.
    const script = `
      import { Validator } from '@seriousme/openapi-schema-validator';
      const result = await new Validator().validate(process.argv[1]);
      console.log(JSON.stringify(result));`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script, OPENAPI_FILE], { cwd: ROOT, encoding: 'utf8' });

    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ valid: true });
    expect(checkedIn.openapi).toBe('3.1.0');
  });

  it('names the routes of the route table, and only those', () => {
    expect(documentRoutes(checkedIn).sort()).toEqual(Object.keys(ROUTES).sort());
  });

  it("is clean under Redocly's recommended rules: no error, no warning", () => {
    const run = spawnSync(process.execPath, [require.resolve('@redocly/cli/bin/cli.js'), 'lint', '--extends=recommended', '--format=json', OPENAPI_FILE], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    });
    const problems = JSON.parse(run.stdout).problems.map((p: { ruleId: string; severity: string; message: string }) => `${p.severity} ${p.ruleId}: ${p.message}`);

    expect(problems).toEqual([]);
    expect(run.status).toBe(0);
  });

  it('requires on each operation the bearer scope the service checks, and declares every path parameter', () => {
    for (const route of documentRoutes(checkedIn)) {
      const [method, template] = route.split(' ');
      const operation = checkedIn.paths[template][method.toLowerCase()];
      const declared = (operation.parameters ?? []).filter((p: any) => p.in === 'path').map((p: any) => [p.name, p.required]);
      const inTemplate = [...template.matchAll(/\{(\w+)\}/g)].map(([, name]) => [name, true]);

      const { scope, eraseScope, alternativeScope } = ROUTES[route as keyof typeof ROUTES] as Route;
      const scopes = [scope, ...(eraseScope ? [eraseScope] : []), ...(alternativeScope ? [alternativeScope] : [])];
      expect({ route, security: operation.security }).toEqual({ route, security: scopes.map((s) => ({ bearer: [s] })) });
      expect({ route, parameters: declared.sort() }).toEqual({ route, parameters: inTemplate.sort() });
      expect({ route, errors: ['400', '401', '403', '429', '500', '503'].filter((status) => !operation.responses[status]) }).toEqual({ route, errors: [] });
    }
  });

  it("describes every error as problem+json with the request id (the 1EdTech payload on the OneRoster routes), but the bodies API Gateway writes itself", () => {
    const problemJson = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };
    const gateway = { 'application/json': { schema: { $ref: '#/components/schemas/GatewayMessage' } } };
    const imsx = { 'application/json': { schema: { $ref: '#/components/schemas/OneRosterStatusInfo' } } };
    const imsxOrGateway = { 'application/json': { schema: { anyOf: [imsx['application/json'].schema, gateway['application/json'].schema] } } };
    expect(checkedIn.components.schemas.Problem).toEqual(
      expect.objectContaining({ required: ['type', 'title', 'status', 'detail', 'requestId'] }),
    );
    for (const route of documentRoutes(checkedIn)) {
      const [method, template] = route.split(' ');
      for (const [status, response] of Object.entries<any>(checkedIn.paths[template][method.toLowerCase()].responses)) {
        if (Number(status) < 400) continue;
        // 401: the JWT authorizer; 429: throttling; 500: the function's problem+json, or the gateway's when the function failed.
        const own = (ROUTES[route as keyof typeof ROUTES] as Route).errorFormat === 'imsx' ? { body: imsx, failed: imsxOrGateway } : { body: problemJson, failed: { ...problemJson, ...gateway } };
        const expected = status === '401' || status === '429' ? gateway : status === '500' ? own.failed : own.body;
        expect({ route, status, content: response.content }).toEqual({ route, status, content: expected });
      }
    }
  });
});

describe('the functions serverless.yml routes to', () => {
  // A request with bad input reaches the route's validation (400); a route missing from the function's
  // dispatch table would answer 404 "No route" instead. Nothing here reaches the database.
  it('each serve every route they are given', async () => {
    for (const [route, { name }] of serverlessRoutes()) {
      const { handler } = require(`../../functions/${name}`) as { handler: Invocable };
      const params = Object.fromEntries([...route.matchAll(/\{(\w+)\}/g)].map(([, param]) => [param, 'not-a-uuid']));
      const oneRoster = (ROUTES[route as keyof typeof ROUTES] as Route | undefined)?.errorFormat === 'imsx';
      const claims = { ...FULL_ACCESS_CLAIMS, scope: `${FULL_ACCESS_CLAIMS.scope} ${ONEROSTER_CORE_SCOPE}` };
      const bad = { route, pathParameters: params, query: { limit: '0' }, body: { unknownField: 1 }, claims };
      const served = (await handler(httpEvent(bad), lambdaContext())) as { statusCode: number; body: string };

      const body = JSON.parse(served.body);
      // problem+json's title, or on the OneRoster routes the 1EdTech payload's code minor.
      const kind = body.title ?? body.imsx_CodeMinor?.imsx_codeMinorField[0].imsx_codeMinorFieldValue;
      const expected = oneRoster ? 'invaliddata' : 'Bad Request';
      expect({ route, name, status: served.statusCode, kind }).toEqual({ route, name, status: 400, kind: expected });
    }
  });
});
