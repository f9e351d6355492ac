import type { HttpEvent } from '../http/types';

/** Where the OneRoster 1.2 rostering service lives on this API (docs/oneroster.md#the-read-endpoints). */
const ONEROSTER_BASE_PATH = '/ims/oneroster/rostering/v1p2';

const HOST = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
const LOOPBACK = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d{1,5})?$/;

/**
 * The absolute URL of the OneRoster service as the caller reached it (docs/oneroster.md#links): the host it
 * called (API Gateway's `Host`, which is `requestContext.domainName`, a custom domain included) and
 * `https`, or `http` on loopback (serverless-offline). The HTTP API has only its `$default` stage, so no
 * stage is in the path; a custom domain's API mapping must have an empty path for these links to hold.
 */
export function publicBaseUrl(event: HttpEvent): string {
  const candidates = [event.headers?.host, event.requestContext?.domainName];
  const host = candidates.find((value): value is string => typeof value === 'string' && HOST.test(value)) ?? 'localhost';
  const scheme = LOOPBACK.test(host) ? 'http' : 'https';
  return `${scheme}://${host}${ONEROSTER_BASE_PATH}`;
}

/**
 * RFC 8288 `Link` of a page: first, prev, next and last, as absolute URLs of the same request with
 * another `offset` (OneRoster 1.2 REST binding, "Pagination").
 */
export function pageLinks(event: HttpEvent, page: { limit: number; offset: number; total: number }): string {
  const url = (offset: number) => {
    const query = new URLSearchParams(Object.entries(event.queryStringParameters ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined));
    query.set('limit', String(page.limit));
    query.set('offset', String(offset));
    const origin = publicBaseUrl(event).slice(0, -ONEROSTER_BASE_PATH.length);
    return `${origin}${event.rawPath}?${query.toString()}`;
  };
  const last = page.total === 0 ? 0 : Math.floor((page.total - 1) / page.limit) * page.limit;
  const links = [`<${url(0)}>; rel="first"`];
  if (page.offset > 0) links.push(`<${url(Math.max(0, Math.min(page.offset - page.limit, last)))}>; rel="prev"`);
  if (page.offset + page.limit < page.total) links.push(`<${url(page.offset + page.limit)}>; rel="next"`);
  links.push(`<${url(last)}>; rel="last"`);
  return links.join(', ');
}
