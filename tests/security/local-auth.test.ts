import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SignJWT, importJWK } from 'jose';
import { loadDevKey, mintDevToken } from '../../scripts/dev-auth';
import { resetDatabase } from '../support/db';
import { FULL_ACCESS_CLAIMS, invoke, type Invocable } from '../support/events';

/**
 * The local API (npm start) verifies bearer tokens itself against the development public key. The
 * service reads its configuration once, at load: the key is in place before the handler is required.
 */
const keyFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'roster-auth-')), 'dev-signing-key.json');
const otherKeyFile = path.join(path.dirname(keyFile), 'other-key.json');
let createUser: Invocable;
let closeConnections: () => Promise<void>;

beforeAll(async () => {
  process.env.AUTH_LOCAL_PUBLIC_JWK = JSON.stringify((await loadDevKey(keyFile)).publicJwk);
  ({ handler: createUser } = require('../../functions/create-user'));
  ({ closeConnections } = require('../../shared/db/sequelize'));
  await resetDatabase();
});
afterAll(async () => {
  delete process.env.AUTH_LOCAL_PUBLIC_JWK;
  await closeConnections();
});

const post = (authorization?: string, claims: Record<string, unknown> | null = null) =>
  invoke(createUser, {
    route: 'POST /users',
    body: { firstName: 'Ada' },
    headers: authorization === undefined ? {} : { Authorization: authorization },
    claims,
  });

/** What API Gateway's JWT authorizer answers deployed, and so what the local API answers (docs/decisions/0001). */
const unauthorized = {
  status: 401,
  headers: { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Bearer scope="" error="invalid_token" error_description="the token is missing or not valid"' },
  body: { message: 'Unauthorized' },
};

describe('the local API', () => {
  it('accepts a development token with roster/write', async () => {
    const token = await mintDevToken({ scopes: ['roster/read', 'roster/write'], keyFile });

    expect((await post(`Bearer ${token}`)).status).toBe(201);
  });

  it('answers 403 for a development token without roster/write', async () => {
    const token = await mintDevToken({ scopes: ['roster/read'], keyFile });

    expect((await post(`Bearer ${token}`)).status).toBe(403);
  });

  it('refuses a request without a token, even one whose event carries claims (serverless-offline verifies nothing)', async () => {
    expect(await post(undefined, { ...FULL_ACCESS_CLAIMS })).toEqual(unauthorized);
  });

  it.each([
    ['signed with another key', () => mintDevToken({ scopes: ['roster/write'], keyFile: otherKeyFile })],
    ['expired', () => mintDevToken({ scopes: ['roster/write'], keyFile, expiresIn: Math.floor(Date.now() / 1000) - 60 })],
    ['from another issuer', async () => signed({ iss: 'https://elsewhere.example.org' })],
    ['for another audience', async () => signed({ aud: 'another-api' })],
    ['unsigned (alg none)', async () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ scope: 'roster/write', iss: 'school-roster-local', aud: 'school-roster' })}.`],
    ['tampered with', async () => tamper(await mintDevToken({ scopes: ['roster/read'], keyFile }))],
    ['not a JWT', async () => 'not-a-token'],
  ])('refuses a token %s with 401', async (_, token) => {
    expect(await post(`Bearer ${await token()}`)).toEqual(unauthorized);
  });

  it('refuses a token under another scheme than Bearer', async () => {
    const token = await mintDevToken({ scopes: ['roster/write'], keyFile });

    expect(await post(`Basic ${token}`)).toEqual(unauthorized);
  });
});

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function signed(claims: { iss?: string; aud?: string }): Promise<string> {
  const { privateJwk } = await loadDevKey(keyFile);
  return new SignJWT({ scope: 'roster/write' })
    .setProtectedHeader({ alg: 'ES256' })
    .setIssuer(claims.iss ?? 'school-roster-local')
    .setAudience(claims.aud ?? 'school-roster')
    .setExpirationTime('1h')
    .sign(await importJWK(privateJwk, 'ES256'));
}

/** The same signature over a payload that claims roster/write. */
function tamper(token: string): string {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  return [header, b64({ ...claims, scope: 'roster/read roster/write' }), signature].join('.');
}
