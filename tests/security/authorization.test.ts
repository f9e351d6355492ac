import { randomUUID } from 'node:crypto';
import { closeConnections } from '../../shared/db/sequelize';
import { ADMIN_SCOPE, ERASE_SCOPE, ONEROSTER_CORE_SCOPE, READ_SCOPE, ROUTES, WRITE_SCOPE, type Route } from '../../shared/http/routes';
import { callerFromClaims, claimList } from '../../shared/http/auth';
import { resetDatabase, withClient } from '../support/db';
import { FULL_ACCESS_CLAIMS, invoke, type HttpReply } from '../support/events';
import { ROUTE_CASES, insertFixture, type Fixture, type RouteCase } from '../support/routes';
import { problem } from '../support/problems';

const rowCounts = () =>
  withClient(async (c) => (await c.query(`SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM schools) AS schools, (SELECT count(*) FROM user_schools) AS links`)).rows[0]);

async function send(routeCase: RouteCase, fixture: Fixture, claims: Record<string, unknown> | null, query?: Record<string, string>): Promise<HttpReply> {
  await routeCase.prepare?.([fixture]);
  const valid = routeCase.valid(fixture);
  return invoke(routeCase.handler, { route: routeCase.route, ...valid, query: { ...valid.query, ...query }, claims });
}

const forbidden = (detail: string) => ({ status: 403, headers: { 'Content-Type': 'application/problem+json' }, body: problem(403, 'Forbidden', detail) });

/** The body of a route's 403: problem+json, or on the OneRoster routes the 1EdTech status payload (docs/oneroster.md#errors). */
function forbiddenBody(route: Route, detail: string) {
  if (route.errorFormat === 'problem+json') return { headers: { 'Content-Type': 'application/problem+json' }, body: problem(403, 'Forbidden', detail) };
  return {
    headers: { 'Content-Type': 'application/json' },
    body: {
      imsx_codeMajor: 'failure',
      imsx_severity: 'error',
      imsx_description: detail,
      imsx_CodeMinor: { imsx_codeMinorField: [{ imsx_codeMinorFieldName: 'TargetEndSystem', imsx_codeMinorFieldValue: 'forbidden' }] },
    },
  };
}

const withScope = (scope: string, extra: Record<string, unknown> = {}) => ({ ...FULL_ACCESS_CLAIMS, scope, ...extra });


let fixture: Fixture;
beforeEach(async () => {
  await resetDatabase();
  fixture = await insertFixture();
});
afterAll(closeConnections);

describe.each(ROUTE_CASES.map((routeCase) => [routeCase.route, routeCase] as const))('%s', (route, routeCase) => {
  const access = ROUTES[route];
  const otherScope = access.scope === READ_SCOPE ? WRITE_SCOPE : READ_SCOPE;

  it("answers API Gateway's own 401 with a Bearer challenge when no identity reached the service, and changes nothing", async () => {
    const before = await rowCounts();
    const reply = await send(routeCase, fixture, null);

    expect(reply).toEqual({
      status: 401,
      headers: {
        'Content-Type': 'application/json',
        'WWW-Authenticate': 'Bearer scope="" error="invalid_token" error_description="the token is missing or not valid"',
      },
      body: { message: 'Unauthorized' },
    });
    expect(await rowCounts()).toEqual(before);
  });

  it(`answers 403 naming the scope when the token lacks ${access.scope}, and changes nothing`, async () => {
    const before = await rowCounts();
    const reply = await send(routeCase, fixture, withScope(otherScope));
    const alternative = (access as Route).alternativeScope;
    const expected = forbiddenBody(access, `This route requires the scope ${access.scope}${alternative ? ` or ${alternative}` : ''}.`);

    expect(reply).toEqual({
      status: 403,
      headers: { ...expected.headers, 'WWW-Authenticate': `Bearer realm="school-roster", error="insufficient_scope", scope="${access.scope}"` },
      body: expected.body,
    });
    expect(await rowCounts()).toEqual(before);
  });

  it(`answers ${routeCase.success} with ${access.scope} alone, in the scope claim, the scp list, or as API Gateway flattens it`, async () => {
    const alternative = (access as Route).alternativeScope;
    for (const claims of [
      withScope(access.scope),
      ...(alternative ? [withScope(alternative)] : []),
      { ...FULL_ACCESS_CLAIMS, scope: undefined, scp: [access.scope, 'openid'] },
      { ...FULL_ACCESS_CLAIMS, scope: undefined, scp: `[openid ${access.scope}]` },
    ]) {
      const reply = await send(routeCase, fixture, claims);
      expect({ claims, status: reply.status }).toEqual({ claims, status: routeCase.success });
    }
  });

  if (access.reach === 'served') {
    it(`answers ${routeCase.success} to a token limited by a schools or a districts claim that reaches the record, and 404 or a page without it to one that does not`, async () => {
      await withClient((c) => c.query(`UPDATE schools SET "districtId" = $1 WHERE "schoolId" = $2`, [fixture.districtId, fixture.schoolId]));
      for (const limit of [{ schools: [fixture.schoolId] }, { districts: `[${fixture.districtId.toUpperCase()}]` }]) {
        const reply = await send(routeCase, fixture, { ...FULL_ACCESS_CLAIMS, scope: ONEROSTER_CORE_SCOPE, ...limit });
        expect({ limit, status: reply.status, total: reply.headers['X-Total-Count'] === '0' }).toEqual({ limit, status: routeCase.success, total: false });
      }
      for (const limit of [{ schools: [randomUUID()] }, { districts: [randomUUID()] }, { schools: [] }]) {
        const reply = await send(routeCase, fixture, { ...FULL_ACCESS_CLAIMS, scope: ONEROSTER_CORE_SCOPE, ...limit });
        // A record outside the claims is unknown to the token; a collection holds none of them.
        if (routeCase.sourcedId) expect({ limit, status: reply.status }).toEqual({ limit, status: 404 });
        else expect({ limit, status: reply.status, total: reply.headers['X-Total-Count'] }).toEqual({ limit, status: 200, total: '0' });
      }
    });
  } else if (access.reach === 'school') {
    it(`answers ${routeCase.success} for a token whose schools claim names the school, in any encoding`, async () => {
      for (const schools of [[fixture.schoolId], `[${randomUUID()} ${fixture.schoolId.toUpperCase()}]`, `${randomUUID()},${fixture.schoolId}`]) {
        const reply = await send(routeCase, fixture, { ...FULL_ACCESS_CLAIMS, schools });
        expect({ schools, status: reply.status }).toEqual({ schools, status: routeCase.success });
      }
    });

    it('answers 403 for a token whose schools claim leaves the school out, and changes nothing', async () => {
      const before = await rowCounts();
      for (const schools of [[randomUUID()], [], '[]', '']) {
        const reply = await send(routeCase, fixture, { ...FULL_ACCESS_CLAIMS, schools });
        expect({ schools, reply }).toEqual({
          schools,
          reply: {
            status: 403,
            headers: { 'Content-Type': 'application/problem+json' },
            body: problem(403, 'Forbidden', 'This token may not act on this school.'),
          },
        });
      }
      expect(await rowCounts()).toEqual(before);
    });
  } else {
    it('answers 403 for any token limited by a schools claim, even one naming the school, and changes nothing (schools claim)', async () => {
      const before = await rowCounts();
      const reply = await send(routeCase, fixture, { ...FULL_ACCESS_CLAIMS, schools: [fixture.schoolId] });

      expect(reply).toEqual({
        status: 403,
        headers: { 'Content-Type': 'application/problem+json' },
        body: problem(403, 'Forbidden', 'A token limited to some schools may not use this route.'),
      });
      expect(await rowCounts()).toEqual(before);
    });
  }

  // The districts claim (docs/api.md#authentication): each reach of the route table, as the route declares it.
  if (access.reach === 'served') {
    // Above, with the schools claim: a served route answers what the claims reach.
  } else if (access.reach === 'school') {
    it(`answers ${routeCase.success} for a token whose districts claim holds the school's district, and 403 for one that does not`, async () => {
      await withClient((c) => c.query(`UPDATE schools SET "districtId" = $1 WHERE "schoolId" = $2`, [fixture.districtId, fixture.schoolId]));
      for (const districts of [[fixture.districtId], `[${randomUUID()} ${fixture.districtId.toUpperCase()}]`]) {
        const reply = await send(routeCase, fixture, { ...FULL_ACCESS_CLAIMS, districts });
        expect({ districts, status: reply.status }).toEqual({ districts, status: routeCase.success });
      }
      await routeCase.prepare?.([fixture]);
      const before = await rowCounts();
      for (const districts of [[randomUUID()], []]) {
        const reply = await send(routeCase, fixture, { ...FULL_ACCESS_CLAIMS, districts });
        expect({ districts, reply }).toEqual({ districts, reply: forbidden('This token may not act on this school.') });
      }
      expect(await rowCounts()).toEqual(before);
    });

    it('answers 403 for a district-limited token on a school of no district (made through the API)', async () => {
      const reply = await send(routeCase, fixture, { ...FULL_ACCESS_CLAIMS, districts: [fixture.districtId] });
      expect(reply).toEqual(forbidden('This token may not act on this school.'));
    });
  } else if (access.reach === 'district') {
    it(`answers ${routeCase.success} for a token whose districts claim names the district, and 403 for one that does not`, async () => {
      for (const districts of [[fixture.districtId], `${randomUUID()},${fixture.districtId.toUpperCase()}`]) {
        const reply = await send(routeCase, fixture, { ...FULL_ACCESS_CLAIMS, districts });
        expect({ districts, status: reply.status }).toEqual({ districts, status: routeCase.success });
      }
      for (const districts of [[randomUUID()], '[]']) {
        const reply = await send(routeCase, fixture, { ...FULL_ACCESS_CLAIMS, districts });
        expect({ districts, reply }).toEqual({ districts, reply: forbidden('This token may not act on this district.') });
      }
    });
  } else if (access.reach === 'filtered') {
    it(`answers ${routeCase.success} for a district-limited token that names its district in ?districtId=, and 403 otherwise`, async () => {
      const reply = await send(routeCase, fixture, { ...FULL_ACCESS_CLAIMS, districts: [fixture.districtId] }, { districtId: fixture.districtId });
      expect(reply.status).toBe(routeCase.success);
      for (const query of [{}, { districtId: randomUUID() }] as Record<string, string>[]) {
        const refused = await send(routeCase, fixture, { ...FULL_ACCESS_CLAIMS, districts: [fixture.districtId] }, query);
        expect({ query, refused }).toEqual({ query, refused: forbidden('A token limited to some districts must name one of them in ?districtId=.') });
      }
    });
  } else {
    it('answers 403 for any token limited by a districts claim, and changes nothing', async () => {
      const before = await rowCounts();
      const reply = await send(routeCase, fixture, { ...FULL_ACCESS_CLAIMS, districts: [fixture.districtId] });

      expect(reply).toEqual(forbidden('A token limited to some districts may not use this route.'));
      expect(await rowCounts()).toEqual(before);
    });
  }
});

/** The routes whose `?erase=true` needs roster/erase (docs/lifecycle.md), each with its request made an erasure. */
const ERASING_CASES = ROUTE_CASES.filter((routeCase) => (ROUTES[routeCase.route] as Route).eraseScope);

describe.each(ERASING_CASES.map((routeCase) => [routeCase.route, routeCase] as const))('%s?erase=true', (_, routeCase) => {
  const erase = (claims: Record<string, unknown> | null) =>
    invoke(routeCase.handler, { route: routeCase.route, ...routeCase.valid(fixture), query: { erase: 'true' }, claims });
  const exists = () =>
    withClient(async (c) => (await c.query(`SELECT EXISTS (SELECT 1 FROM users WHERE "userId" = $1) AND EXISTS (SELECT 1 FROM schools WHERE "schoolId" = $2) AS both`, [fixture.userId, fixture.schoolId])).rows[0].both);

  it(`answers 403 naming ${ERASE_SCOPE} for every other scope together, and erases nothing`, async () => {
    const reply = await erase(withScope(`${READ_SCOPE} ${WRITE_SCOPE} roster/admin`));

    expect(reply).toEqual({
      status: 403,
      headers: {
        'Content-Type': 'application/problem+json',
        'WWW-Authenticate': `Bearer realm="school-roster", error="insufficient_scope", scope="${ERASE_SCOPE}"`,
      },
      body: problem(403, 'Forbidden', `This request requires the scope ${ERASE_SCOPE}.`),
    });
    expect(await exists()).toBe(true);
  });

  it(`answers 204 with ${ERASE_SCOPE} alone, in the scope claim or the scp list`, async () => {
    for (const claims of [withScope(ERASE_SCOPE), { ...FULL_ACCESS_CLAIMS, scope: undefined, scp: `[openid ${ERASE_SCOPE}]` }]) {
      const reply = await erase(claims);
      expect({ claims, status: reply.status }).toEqual({ claims, status: 204 });
      fixture = await insertFixture();
    }
  });

  it("answers API Gateway's 401 without an identity, and 403 to a token limited by a schools claim", async () => {
    expect((await erase(null)).status).toBe(401);
    expect((await erase({ ...FULL_ACCESS_CLAIMS, scope: ERASE_SCOPE, schools: [fixture.schoolId] })).status).toBe(403);
    expect(await exists()).toBe(true);
  });
});

describe('the route table', () => {
  it('requires the OneRoster scope on the OneRoster routes, roster/admin for the districts and the webhooks, else roster/read for every GET and roster/write for every POST, PUT, PATCH and DELETE', () => {
    for (const [route, { scope }] of Object.entries(ROUTES)) {
      const [method, path] = route.split(' ');
      const admin = path.startsWith('/districts') || path.startsWith('/webhooks');
      const expected = path.startsWith('/ims/oneroster/') ? ONEROSTER_CORE_SCOPE : admin ? ADMIN_SCOPE : method === 'GET' ? READ_SCOPE : WRITE_SCOPE;
      expect({ route, scope }).toEqual({ route, scope: expected });
    }
  });

  it('lets a limited token reach a school or a district only on routes that name one in their path, and narrow only lists that take ?districtId=', () => {
    for (const [route, { reach, request }] of Object.entries(ROUTES)) {
      if (reach === 'school') expect(route).toMatch(/^[A-Z]+ \/schools\/\{schoolId\}/);
      if (reach === 'district') expect(route).toMatch(/^[A-Z]+ \/districts\/\{districtId\}/);
      if (reach === 'filtered') expect({ route, filter: Object.keys((request as { query?: { shape: object } }).query?.shape ?? {}) }).toEqual({ route, filter: expect.arrayContaining(['districtId']) });
    }
  });

  it('gives roster/erase to the two DELETEs of one record only, as their erase scope: no route needs it alone', () => {
    const erasing = Object.entries(ROUTES).filter(([, route]) => (route as Route).eraseScope === ERASE_SCOPE).map(([key]) => key);
    expect(erasing).toEqual(['DELETE /users/{userId}', 'DELETE /schools/{schoolId}']);
  });

  it('has a case in the suites for every route, in its order', () => {
    expect(ROUTE_CASES.map(({ route }) => route)).toEqual(Object.keys(ROUTES));
  });
});

describe('an unknown route key', () => {
  it('is refused with 403 whatever the token, before the router sees it', async () => {
    const reply = await invoke(ROUTE_CASES[2].handler, { route: 'PATCH /schools/{schoolId}/users/{userId}', pathParameters: { userId: fixture.userId, schoolId: fixture.schoolId } });

    expect(reply.status).toBe(403);
    expect(reply.body.detail).toBe('This route is not open to any caller.');
  });
});

describe('reading list-valued claims', () => {
  it.each([
    ['a JSON array', ['roster/read', 'roster/write'], ['roster/read', 'roster/write']],
    ['a space-separated string', 'roster/read  roster/write', ['roster/read', 'roster/write']],
    ['API Gateway flattening', '[roster/read roster/write]', ['roster/read', 'roster/write']],
    ['a comma-separated string', 'a,b , c', ['a', 'b', 'c']],
    ['a JSON array in a string', '["a","b"]', ['a', 'b']],
    ['an empty flattened list', '[]', []],
    ['a number', 42, []],
    ['an object', { scope: 'roster/write' }, []],
    ['an array with non-strings', ['a', 1, null, ''], ['a']],
  ])('reads %s', (_, value, expected) => {
    expect(claimList(value)).toEqual(expected);
  });

  it('grants nothing for claims that carry no scope', () => {
    expect(callerFromClaims({ sub: 'x' })).toEqual({ scopes: new Set(), schools: undefined, districts: undefined, subject: ' x' });
  });

  it('reads the scopes of scope and scp together, and school and district ids in lower case', () => {
    const caller = callerFromClaims({ scope: 'roster/read', scp: ['roster/write'], schools: 'ABC', districts: ['DEF', 'ghi'] });
    expect(caller).toEqual({ scopes: new Set(['roster/read', 'roster/write']), schools: new Set(['abc']), districts: new Set(['def', 'ghi']), subject: undefined });
  });
});
