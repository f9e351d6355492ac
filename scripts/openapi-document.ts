import './zod-openapi';
import { OpenAPIRegistry, OpenApiGeneratorV31, type ResponseConfig, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import * as z from 'zod';
import { version } from '../package.json';
import { ROUTE_ACCESS } from '../shared/http/access';
import {
  CreateSchoolBody,
  CreateUserBody,
  IdempotencyHeaders,
  LinkBody,
  MemberListQuery,
  MemberSchema,
  MembershipPath,
  MembershipSchema,
  ProblemSchema,
  SchoolListQuery,
  SchoolOfUserSchema,
  SchoolPath,
  SchoolSchema,
  UserListQuery,
  UserPath,
  UserSchema,
  pageOf,
} from '../shared/schemas';

/**
 * The OpenAPI 3.1 document of the HTTP API (docs/api.md), built from the zod schemas the handlers validate
 * with. Dev tooling only: no function imports it, so neither this library nor the registry reaches a
 * Lambda bundle. `npm run openapi` writes it to openapi.json; tests/openapi checks it against
 * serverless.yml and the route table.
 */
export function buildOpenApiDocument() {
  const registry = new OpenAPIRegistry();
  const User = registry.register('User', UserSchema);
  const School = registry.register('School', SchoolSchema);
  const Membership = registry.register('Membership', MembershipSchema);
  const Member = registry.register('Member', MemberSchema);
  const SchoolOfUser = registry.register('SchoolOfUser', SchoolOfUserSchema);
  const Problem = registry.register('Problem', ProblemSchema);
  registry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      'An access token of the configured issuer and audience (verified by API Gateway). GET routes need the scope `roster/read`, ' +
      'the others `roster/write` (`scope` claim, space-separated, or `scp` list). A `schools` claim limits the token to those schools.',
  });

  const json = (schema: z.ZodType) => ({ 'application/json': { schema } });
  const problem = (description: string, headers?: ResponseConfig['headers']): ResponseConfig => ({
    description,
    content: { 'application/problem+json': { schema: Problem } },
    ...(headers ? { headers } : {}),
  });
  const location = z.object({ Location: z.string().meta({ description: 'The path of the record created.' }) });
  const errors = {
    400: problem('Invalid input: `errors` names each bad field (path ids, query, body).'),
    401: problem('No valid bearer token.', z.object({ 'WWW-Authenticate': z.string() })),
    403: problem('The token lacks the scope, or the route or school is outside its `schools` claim.'),
    503: problem('The database is unavailable; retry later.', z.object({ 'Retry-After': z.string().meta({ description: 'Seconds.' }) })),
  };
  const bodyErrors = {
    413: problem('The body is over 64 KiB.'),
    415: problem('A declared content type that is not JSON.'),
  };
  const notFound = { 404: problem('No such user or school (a deleted record counts as missing).') };
  const conflict = (what: string) => ({ 409: problem(`${what} is already taken by a live record.`) });
  const body = (schema: z.ZodType, required = true) => ({ required, content: json(schema) });
  const created = (description: string, schema: z.ZodType): ResponseConfig => ({
    description: `${description} A retry with the same Idempotency-Key and body gets the same response again.`,
    headers: location.extend({
      'Idempotent-Replayed': z.literal('true').optional().meta({ description: 'Present on a replay of an earlier response.' }),
    }),
    content: json(schema),
  });
  const keyReused = { 422: problem('The Idempotency-Key was already used with another body.') };

  const operations: Record<string, Omit<RouteConfig, 'method' | 'path' | 'security'>> = {
    'POST /users': {
      operationId: 'createUser',
      summary: 'Create a user',
      request: { body: body(CreateUserBody), headers: IdempotencyHeaders },
      responses: { 201: created('The user created.', User), ...errors, ...bodyErrors, ...conflict('The email (case-insensitively) or userName'), ...keyReused },
    },
    'POST /schools': {
      operationId: 'createSchool',
      summary: 'Create a school',
      request: { body: body(CreateSchoolBody), headers: IdempotencyHeaders },
      responses: { 201: created('The school created.', School), ...errors, ...bodyErrors, ...conflict('The code'), ...keyReused },
    },
    'PUT /schools/{schoolId}/users/{userId}': {
      operationId: 'linkUserToSchool',
      summary: 'Make a user a member of a school, or change the role of a membership',
      description: 'No body links with the default role (`teacher`), or keeps an existing membership\'s role.',
      request: { params: MembershipPath, body: body(LinkBody, false) },
      responses: {
        200: { description: 'The membership existed; its role is updated if the body names another.', content: json(Membership) },
        201: { description: 'The membership created.', headers: location, content: json(Membership) },
        ...errors,
        ...bodyErrors,
        ...notFound,
      },
    },
    'DELETE /schools/{schoolId}/users/{userId}': {
      operationId: 'unlinkUserFromSchool',
      summary: 'End a membership',
      request: { params: MembershipPath },
      responses: { 204: { description: 'The membership is gone.' }, ...errors, ...bodyErrors, 404: problem('No such user, school or membership.') },
    },
    'GET /users': {
      operationId: 'listUsers',
      summary: 'List users by lastName, firstName, userId',
      request: { query: UserListQuery },
      responses: { 200: { description: 'A page of users.', content: json(pageOf(User)) }, ...errors },
    },
    'GET /schools': {
      operationId: 'listSchools',
      summary: 'List schools by name, schoolId',
      request: { query: SchoolListQuery },
      responses: { 200: { description: 'A page of schools.', content: json(pageOf(School)) }, ...errors },
    },
    'GET /users/{userId}': {
      operationId: 'getUser',
      summary: 'Get a user',
      request: { params: UserPath },
      responses: { 200: { description: 'The user.', content: json(User) }, ...errors, ...notFound },
    },
    'GET /schools/{schoolId}': {
      operationId: 'getSchool',
      summary: 'Get a school',
      request: { params: SchoolPath },
      responses: { 200: { description: 'The school.', content: json(School) }, ...errors, ...notFound },
    },
    'GET /users/{userId}/schools': {
      operationId: 'listSchoolsOfUser',
      summary: "List a user's schools, each with the membership",
      request: { params: UserPath, query: SchoolListQuery },
      responses: { 200: { description: 'A page of schools.', content: json(pageOf(SchoolOfUser)) }, ...errors, ...notFound },
    },
    'GET /schools/{schoolId}/users': {
      operationId: 'listSchoolMembers',
      summary: "List a school's members, each with the membership",
      request: { params: SchoolPath, query: MemberListQuery },
      responses: { 200: { description: 'A page of users.', content: json(pageOf(Member)) }, ...errors, ...notFound },
    },
  };

  for (const [key, operation] of Object.entries(operations)) {
    const [method, path] = key.split(' ');
    const scope = ROUTE_ACCESS[key]?.scope;
    if (!scope) throw new Error(`${key} is not in ROUTE_ACCESS`);
    registry.registerPath({ ...operation, method: method.toLowerCase() as RouteConfig['method'], path, security: [{ bearer: [scope] }] });
  }

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'school-roster',
      version,
      description: 'Users, schools and their memberships. Errors are RFC 9457 problem+json. Lists are keyset-paginated: pass `nextCursor` back as `cursor`.',
    },
  });
}
