import './zod-openapi';
import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import * as z from 'zod';
import { license, version } from '../package.json';
import { ROUTES, statusesOf, type Route, type RouteKey } from '../shared/http/routes';
import { OneRosterStatusInfoSchema } from '../shared/oneroster/schemas';
import { ProblemSchema } from '../shared/schemas';

/** The bodies API Gateway writes itself, before or instead of a function (docs/decisions/0001). */
const GatewayMessage = z.object({ message: z.string() }).meta({
  id: 'GatewayMessage',
  description: "API Gateway's own answer, not the service's: `Unauthorized`, `Too Many Requests` or `Internal Server Error`.",
});

/**
 * The OpenAPI 3.1 document of the HTTP API (docs/api.md), built from the route table (shared/http/routes.ts)
 * and the zod schemas the handlers validate with. Dev tooling only: no function imports it, so neither
 * this library nor the registry reaches a Lambda bundle. `npm run openapi` writes it to openapi.json;
 * tests/openapi checks it, lints it with Redocly and checks serverless.yml against the table.
 */
export function buildOpenApiDocument() {
  const registry = new OpenAPIRegistry();
  const Problem = ProblemSchema;
  const Gateway = GatewayMessage;
  registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'An access token of the configured issuer and audience, verified by API Gateway (a missing or bad token: its own 401). ' +
      'GET routes need the scope `roster/read`, the others `roster/write`, the webhooks `roster/admin` (`scope` claim, space-separated, or `scp` list); ' +
      'an erasure (`DELETE ...?erase=true`) needs `roster/erase`, which no other scope implies. ' +
      'checked by the service (403 problem+json). A `schools` claim limits the token to those schools. ' +
      'The OneRoster routes (`/ims/oneroster/rostering/v1p2/...`) take OneRoster 1.2\'s own scopes, `.../scope/roster-core.readonly` or `.../scope/roster.readonly`, ' +
      'answer their errors in the 1EdTech status payload, and serve a limited token what its claims reach.',
  });

  const problem = (description: string, headers?: z.ZodObject): ResponseConfig => ({
    description,
    content: { 'application/problem+json': { schema: Problem } },
    ...(headers ? { headers } : {}),
  });
  const retryAfter = z.object({ 'Retry-After': z.string().meta({ description: 'Seconds.' }) });
  /** Errors every route may answer (shared/http/routes.ts, statusesOf), as they are really answered. */
  const common: Record<number, ResponseConfig> = {
    400: problem('Invalid input: `errors` names each bad field (path ids, query, body; `""` for a body that is not JSON).'),
    401: {
      description: "No valid bearer token: API Gateway's JWT authorizer answers, not the service (the local API answers the same).",
      headers: z.object({
        'WWW-Authenticate': z.string().meta({ description: 'A Bearer challenge with `error="invalid_token"` and the reason in `error_description`.' }),
      }),
      content: { 'application/json': { schema: Gateway } },
    },
    403: problem('The token lacks the scope, or the route or school is outside its `schools` claim.'),
    413: problem('The body is over 64 KiB.'),
    415: problem('A declared content type that is not JSON.'),
    429: { description: "API Gateway's throttling (the stage's rate and burst limits): retry later.", content: { 'application/json': { schema: Gateway } } },
    500: {
      description: 'An unexpected error: problem+json from the service, or API Gateway\'s own body when the function itself failed.',
      content: { 'application/problem+json': { schema: Problem }, 'application/json': { schema: Gateway } },
    },
    503: problem('The database is unavailable, or the request could not finish in time; retry later.', retryAfter),
  };
  /** The OneRoster routes' errors: the 1EdTech status payload (docs/oneroster.md#errors); 401 and 429 stay API Gateway's. */
  const imsx = (description: string, headers?: z.ZodObject): ResponseConfig => ({
    description,
    content: { 'application/json': { schema: OneRosterStatusInfoSchema } },
    ...(headers ? { headers } : {}),
  });
  const imsxCommon: Record<number, ResponseConfig> = {
    ...common,
    400: imsx('`invalid_filter_field` (filter), `invalid_selection_field` (fields) or `invaliddata` (limit, offset, sort, orderBy, a sourcedId that is no UUID).'),
    403: imsx('`forbidden`: the token has neither OneRoster scope.'),
    500: {
      description: "`internal_server_error` from the service, or API Gateway's own body when the function itself failed.",
      content: { 'application/json': { schema: z.union([OneRosterStatusInfoSchema, Gateway]) } },
    },
    503: imsx('`server_busy`: the database is unavailable, or the request could not finish in time; retry later.', retryAfter),
  };
  const paged = z.object({
    'X-Total-Count': z.string().meta({ description: 'How many records the filter selects, over all pages.' }),
    Link: z.string().meta({ description: 'RFC 8288 links to the `first`, `prev`, `next` and `last` pages, absolute URLs.' }),
  });
  const location = z.object({ Location: z.string().meta({ description: 'The path of the record created.' }) });
  const etag = z.object({
    ETag: z.string().meta({ description: 'The strong entity-tag of this version of the record: send it as `If-Match` to change only this version.' }),
  });
  const replayed = z.object({ 'Idempotent-Replayed': z.literal('true').optional().meta({ description: 'Present on a replay of an earlier response.' }) });

  const responseOf = (route: Route, status: number): ResponseConfig => {
    const success = route.success[status as keyof Route['success']];
    if (success) {
      const shape = {
        ...(success.location ? location.shape : {}),
        ...(success.replayable ? replayed.shape : {}),
        ...(success.etag ? etag.shape : {}),
        ...(success.paged ? paged.shape : {}),
      };
      const headers = Object.keys(shape).length > 0 ? z.object(shape) : undefined;
      return {
        description: success.replayable ? `${success.description} A retry with the same Idempotency-Key and body gets the same response again.` : success.description,
        ...(headers ? { headers } : {}),
        ...(success.body ? { content: { 'application/json': { schema: success.body } } } : {}),
      };
    }
    const own = route.errors?.[status as keyof NonNullable<Route['errors']>];
    if (route.errorFormat === 'imsx') return own ? imsx(own) : imsxCommon[status];
    return own ? problem(own) : common[status];
  };

  for (const key of Object.keys(ROUTES) as RouteKey[]) {
    const route: Route = ROUTES[key];
    const [method, path] = key.split(' ');
    const { params, query, body, bodyOptional, headers, mergePatch } = route.request;
    const bodyTypes = mergePatch ? ['application/merge-patch+json', 'application/json'] : ['application/json'];
    registry.registerPath({
      method: method.toLowerCase() as RouteConfig['method'],
      path,
      operationId: route.operationId,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      // Any one of these: an erasure needs its own (eraseScope), a OneRoster route takes either of two (alternativeScope).
      security: [route.scope, ...(route.eraseScope ? [route.eraseScope] : []), ...(route.alternativeScope ? [route.alternativeScope] : [])].map((scope) => ({ bearer: [scope] })),
      request: {
        ...(params ? { params: params as z.ZodObject } : {}),
        ...(query ? { query: query as z.ZodObject } : {}),
        ...(headers ? { headers: headers as z.ZodObject } : {}),
        ...(body ? { body: { required: !bodyOptional, content: Object.fromEntries(bodyTypes.map((type) => [type, { schema: body }])) } } : {}),
      },
      responses: Object.fromEntries(statusesOf(key).map((status) => [status, responseOf(route, status)])),
    });
  }

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'school-roster',
      version,
      license: { name: license, identifier: license },
      description:
        'Users, schools and their memberships. Errors are RFC 9457 problem+json, except the bodies API Gateway writes itself ' +
        '(401, 429, and a 500 when a function fails). Lists are keyset-paginated: pass `nextCursor` back as `cursor`. ' +
        'The paths under `/ims/oneroster/rostering/v1p2` are the OneRoster 1.2 rostering read service (docs/oneroster.md): ' +
        "its objects, `limit`/`offset` paging and 1EdTech error payloads, as the 1EdTech OneRoster 1.2 Rostering OpenAPI document defines them.",
    },
    servers: [
      {
        url: 'https://{apiId}.execute-api.{region}.amazonaws.com',
        description: 'A deployed stage (`serverless deploy` prints its URL); locally, `npm start` serves the same API on http://localhost:3000.',
        variables: { apiId: { default: 'abc123', description: "The HTTP API's id." }, region: { default: 'eu-west-1' } },
      },
    ],
  });
}
