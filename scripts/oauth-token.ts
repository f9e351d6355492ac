import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ONEROSTER_CORE_SCOPE, ONEROSTER_SCOPE } from '../shared/http/routes';
import { mintDevToken } from './dev-auth';

/** The OneRoster 1.2 rostering scopes (docs/oneroster.md) a development client may ask for: the route table's. */
const ONEROSTER_SCOPES = [ONEROSTER_CORE_SCOPE, ONEROSTER_SCOPE];
const LIFETIME_SECONDS = 3600;

export interface OAuthTokenServerOptions {
  clientId: string;
  clientSecret: string;
  /** 0: any free port. */
  port?: number;
  /** The development signing key (scripts/dev-auth.ts); its default file when absent. */
  keyFile?: string;
}

export interface OAuthTokenServer {
  /** `http://127.0.0.1:<port>/oauth/token` */
  tokenUrl: string;
  close(): Promise<void>;
}

function same(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** The client of an HTTP Basic header (RFC 6749 §2.3.1: id and secret form-urlencoded, then base64). */
function basicClient(header: string | undefined): { id: string; secret: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    return { id: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')), secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')) };
  } catch {
    return undefined;
  }
}

/**
 * A development OAuth 2 token endpoint (client credentials grant, RFC 6749 §4.4) on 127.0.0.1, so a
 * OneRoster REST client (this service's own pull, shared/roster/oneroster-rest.ts, or an LMS on the
 * developer's machine) can take tokens for the local API's OneRoster routes as it would from a SIS:
 * `POST /oauth/token` with the client in HTTP Basic and `grant_type=client_credentials`, `scope` one or
 * both OneRoster read scopes (both when absent). The token is one `npm run token` would print, signed
 * with the development key the local API verifies. Errors are RFC 6749 §5.2's.
 */
export async function startOAuthTokenServer(options: OAuthTokenServerOptions): Promise<OAuthTokenServer> {
  const server = http.createServer((request, response) => {
    const answer = (status: number, body: object, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
      response.end(JSON.stringify(body));
    };
    let form = '';
    request.on('data', (chunk: Buffer) => {
      form += chunk.toString('utf8');
      if (form.length > 10_000) request.destroy();
    });
    request.on('end', async () => {
      if (new URL(request.url ?? '/', 'http://local').pathname !== '/oauth/token') return answer(404, { error: 'not_found' });
      if (request.method !== 'POST') return answer(405, { error: 'invalid_request' }, { allow: 'POST' });
      const client = basicClient(request.headers.authorization);
      if (!client || !same(client.id, options.clientId) || !same(client.secret, options.clientSecret)) {
        return answer(401, { error: 'invalid_client' }, { 'www-authenticate': 'Basic realm="school-roster local"' });
      }
      const parameters = new URLSearchParams(form);
      if (parameters.get('grant_type') !== 'client_credentials') return answer(400, { error: 'unsupported_grant_type' });
      const scopes = (parameters.get('scope') ?? ONEROSTER_SCOPES.join(' ')).split(' ').filter(Boolean);
      if (scopes.length === 0 || scopes.some((scope) => !ONEROSTER_SCOPES.includes(scope))) return answer(400, { error: 'invalid_scope' });
      const token = await mintDevToken({ scopes, expiresIn: `${LIFETIME_SECONDS}s`, keyFile: options.keyFile });
      return answer(200, { access_token: token, token_type: 'Bearer', expires_in: LIFETIME_SECONDS, scope: scopes.join(' ') });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  return {
    tokenUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/token`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
