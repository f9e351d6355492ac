import { callerOf } from '../shared/http/auth';
import { httpHandler } from '../shared/http/handler';
import { ok } from '../shared/http/responses';
import { dispatch } from '../shared/http/router';
import type { HttpEvent } from '../shared/http/types';
import { pageLinks, publicBaseUrl } from '../shared/oneroster/links';
import { getOneRosterOrg, getOneRosterUser, listOneRosterOrgs, listOneRosterUsers, type CollectionResult, type ServedReach } from '../shared/oneroster/rostering';

/** The OneRoster 1.2 read endpoints (docs/oneroster.md): what the token reaches, with absolute links. */
const served = (event: HttpEvent) => {
  const caller = callerOf(event);
  const reach: ServedReach = { schools: caller?.schools, districts: caller?.districts };
  return { reach, base: publicBaseUrl(event) };
};

/** A collection in its envelope, with `X-Total-Count` and the RFC 8288 `Link` of its pages. */
const page = (envelope: 'users' | 'orgs', event: HttpEvent, result: CollectionResult<unknown>) =>
  ok({ [envelope]: result.items }, { 'X-Total-Count': String(result.total), Link: pageLinks(event, result) });

export const handler = httpHandler(
  dispatch('oneroster', {
    'GET /ims/oneroster/rostering/v1p2/orgs': async ({ query }, event) => page('orgs', event, await listOneRosterOrgs({ schoolsOnly: false, parameters: query, ...served(event) })),
    'GET /ims/oneroster/rostering/v1p2/orgs/{sourcedId}': async ({ params, query }, event) =>
      ok({ org: await getOneRosterOrg({ schoolsOnly: false, sourcedId: params.sourcedId, parameters: query, ...served(event) }) }),
    'GET /ims/oneroster/rostering/v1p2/schools': async ({ query }, event) => page('orgs', event, await listOneRosterOrgs({ schoolsOnly: true, parameters: query, ...served(event) })),
    'GET /ims/oneroster/rostering/v1p2/schools/{sourcedId}': async ({ params, query }, event) =>
      ok({ org: await getOneRosterOrg({ schoolsOnly: true, sourcedId: params.sourcedId, parameters: query, ...served(event) }) }),
    'GET /ims/oneroster/rostering/v1p2/users': async ({ query }, event) => page('users', event, await listOneRosterUsers({ kind: 'users', parameters: query, ...served(event) })),
    'GET /ims/oneroster/rostering/v1p2/users/{sourcedId}': async ({ params, query }, event) =>
      ok({ user: await getOneRosterUser({ kind: 'users', sourcedId: params.sourcedId, parameters: query, ...served(event) }) }),
    'GET /ims/oneroster/rostering/v1p2/students': async ({ query }, event) => page('users', event, await listOneRosterUsers({ kind: 'students', parameters: query, ...served(event) })),
    'GET /ims/oneroster/rostering/v1p2/students/{sourcedId}': async ({ params, query }, event) =>
      ok({ user: await getOneRosterUser({ kind: 'students', sourcedId: params.sourcedId, parameters: query, ...served(event) }) }),
    'GET /ims/oneroster/rostering/v1p2/teachers': async ({ query }, event) => page('users', event, await listOneRosterUsers({ kind: 'teachers', parameters: query, ...served(event) })),
    'GET /ims/oneroster/rostering/v1p2/teachers/{sourcedId}': async ({ params, query }, event) =>
      ok({ user: await getOneRosterUser({ kind: 'teachers', sourcedId: params.sourcedId, parameters: query, ...served(event) }) }),
    'GET /ims/oneroster/rostering/v1p2/schools/{sourcedId}/students': async ({ params, query }, event) =>
      page('users', event, await listOneRosterUsers({ kind: 'students', schoolId: params.sourcedId, parameters: query, ...served(event) })),
    'GET /ims/oneroster/rostering/v1p2/schools/{sourcedId}/teachers': async ({ params, query }, event) =>
      page('users', event, await listOneRosterUsers({ kind: 'teachers', schoolId: params.sourcedId, parameters: query, ...served(event) })),
  }),
);
