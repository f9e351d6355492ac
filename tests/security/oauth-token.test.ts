import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeJwt, importJWK, jwtVerify } from 'jose';
import { loadDevKey } from '../../scripts/dev-auth';
import { startOAuthTokenServer, type OAuthTokenServer } from '../../scripts/oauth-token';
import { LOCAL_AUDIENCE, LOCAL_ISSUER } from '../../shared/http/access';
import { OneRosterHttpClient } from '../../shared/roster/oneroster-http';

/** The development token endpoint a OneRoster REST client takes its tokens from (docs/development.md#oneroster-clients). */
const CORE = 'https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly';
const ROSTER = 'https://purl.imsglobal.org/spec/or/v1p2/scope/roster.readonly';
const CLIENT = { clientId: 'local-oneroster-client', clientSecret: 'dev secret: with/odd+chars' };
const keyFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'oauth-key-')), 'key.json');
let server: OAuthTokenServer;

beforeAll(async () => {
  server = await startOAuthTokenServer({ ...CLIENT, keyFile });
});
afterAll(() => server.close());

function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

async function post(body: string, authorization = basic(CLIENT.clientId, CLIENT.clientSecret)) {
  const response = await fetch(server.tokenUrl, { method: 'POST', headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' }, body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, store: response.headers.get('cache-control') };
}

describe('the local OAuth 2 token endpoint', () => {
  it('answers client credentials with a Bearer token the local API verifies, carrying the OneRoster scope asked for', async () => {
    const reply = await post(`grant_type=client_credentials&scope=${encodeURIComponent(CORE)}`);

    expect(reply).toEqual({ status: 200, store: 'no-store', body: { access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600, scope: CORE } });
    const { publicJwk } = await loadDevKey(keyFile);
    const { payload } = await jwtVerify(String(reply.body.access_token), await importJWK(publicJwk, 'ES256'), { issuer: LOCAL_ISSUER, audience: LOCAL_AUDIENCE });
    expect(payload.scope).toBe(CORE);
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(3600);
  });

  it('gives both OneRoster read scopes when none is asked for', async () => {
    const reply = await post('grant_type=client_credentials');
    expect(decodeJwt(String(reply.body.access_token)).scope).toBe(`${CORE} ${ROSTER}`);
  });

  it.each([
    ['a wrong secret', 'grant_type=client_credentials', basic(CLIENT.clientId, 'guess'), 401, 'invalid_client'],
    ['another client', 'grant_type=client_credentials', basic('someone-else', CLIENT.clientSecret), 401, 'invalid_client'],
    ['no client at all', 'grant_type=client_credentials', '', 401, 'invalid_client'],
    ['another grant', 'grant_type=password&username=a&password=b', undefined, 400, 'unsupported_grant_type'],
    ["a scope that is not OneRoster's", 'grant_type=client_credentials&scope=roster%2Fadmin', undefined, 400, 'invalid_scope'],
  ])('refuses %s with the RFC 6749 error, and no token', async (_, body, authorization, status, error) => {
    expect(await post(body, authorization)).toEqual({ status, store: 'no-store', body: { error } });
  });

  it('is what the OneRoster REST pull takes its tokens from', async () => {
    const resource = await import('node:http').then(({ createServer }) =>
      createServer((request, response) => response.end(JSON.stringify({ authorization: decodeJwt(String(request.headers.authorization).slice(7)).scope }))),
    );
    await new Promise<void>((resolve) => resource.listen(0, '127.0.0.1', resolve));
    const { port } = resource.address() as import('node:net').AddressInfo;
    const client = new OneRosterHttpClient({ tokenUrl: server.tokenUrl, credentials: { ...CLIENT, scope: ROSTER }, deployed: false });
    try {
      expect(await client.getJson(`http://127.0.0.1:${port}/ims/oneroster/rostering/v1p2/users`)).toEqual({ authorization: ROSTER });
    } finally {
      await new Promise((resolve) => resource.close(resolve));
    }
  });
});
