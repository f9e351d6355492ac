import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeSisOptions {
  /** The path the rostering service is served under, e.g. `/ims/oneroster/rostering/v1p2`. */
  basePath: string;
  orgs: object[];
  users: object[];
  clientId?: string;
  clientSecret?: string;
  /** The most records one page holds, whatever `limit` asks. */
  maxPageSize?: number;
  /** Answers this data request (1-based count of GETs) with 429 and this Retry-After, once. */
  throttle?: { request: number; retryAfter?: string };
  /** After this many data GETs the current token is revoked: it gets 401 until a new one is taken. */
  rotateTokenAfter?: number;
  /** Answers every data GET with this status. */
  alwaysStatus?: number;
  tokenLifetimeSeconds?: number;
}

export interface FakeSis {
  baseUrl: string;
  tokenUrl: string;
  /** Each request as `METHOD path token status`, in order. */
  log: string[];
  close(): Promise<void>;
}

/**
 * A OneRoster REST service on 127.0.0.1 as SISs serve it: OAuth 2 client credentials with HTTP Basic,
 * limit/offset paging with no X-Total-Count, and on request a 429 once and a token revoked mid-pull.
 */
export async function startFakeSis(options: FakeSisOptions): Promise<FakeSis> {
  const clientId = options.clientId ?? 'district-client';
  const clientSecret = options.clientSecret ?? 's3cret:with/odd chars';
  const expectedBasic = `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;
  const log: string[] = [];
  let issued = 0;
  let valid = '';
  let dataRequests = 0;
  let throttled = false;

  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://sis');
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      log.push(`${request.method} ${url.pathname}${url.search} ${status}`);
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(JSON.stringify(body));
    };
    let form = '';
    request.on('data', (chunk: Buffer) => (form += chunk.toString('utf8')));
    request.on('end', () => {
      if (url.pathname === '/token') {
        if (request.method !== 'POST' || request.headers.authorization !== expectedBasic || new URLSearchParams(form).get('grant_type') !== 'client_credentials') {
          return send(401, { error: 'invalid_client' });
        }
        valid = `tok-${++issued}`;
        return send(200, { access_token: valid, token_type: 'bearer', expires_in: options.tokenLifetimeSeconds ?? 3600 });
      }
      dataRequests++;
      if (request.headers.authorization !== `Bearer ${valid}`) return send(401, { imsx_codeMajor: 'failure', imsx_severity: 'error' });
      if (options.rotateTokenAfter !== undefined && dataRequests === options.rotateTokenAfter + 1) {
        valid = 'revoked';
        return send(401, { imsx_codeMajor: 'failure', imsx_severity: 'error' });
      }
      if (options.alwaysStatus) return send(options.alwaysStatus, {}, { 'retry-after': '1' });
      if (options.throttle && !throttled && dataRequests === options.throttle.request) {
        throttled = true;
        return send(429, { imsx_codeMajor: 'failure', imsx_severity: 'error' }, options.throttle.retryAfter ? { 'retry-after': options.throttle.retryAfter } : {});
      }
      const collection = url.pathname.slice(options.basePath.length + 1);
      if (url.pathname.slice(0, options.basePath.length) !== options.basePath || (collection !== 'orgs' && collection !== 'users')) return send(404, {});
      const limit = Math.min(Number(url.searchParams.get('limit') ?? 100), options.maxPageSize ?? Number.MAX_SAFE_INTEGER);
      const offset = Number(url.searchParams.get('offset') ?? 0);
      const records = collection === 'orgs' ? options.orgs : options.users;
      return send(200, { [collection]: records.slice(offset, offset + limit) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl: `${origin}${options.basePath}`,
    tokenUrl: `${origin}/token`,
    log,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
