import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SignJWT, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { LOCAL_AUDIENCE, LOCAL_ISSUER } from '../shared/http/access';

/**
 * The development signing key: an ES256 key pair made on first use under .data/ (git-ignored, never
 * packaged). The local API is given only its public half (AUTH_LOCAL_PUBLIC_JWK).
 */
export const DEV_KEY_FILE = path.resolve('.data/auth/dev-signing-key.json');

export interface DevKey {
  privateJwk: JWK;
  publicJwk: JWK;
}

export async function loadDevKey(file = DEV_KEY_FILE): Promise<DevKey> {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as DevKey;
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const key: DevKey = { privateJwk: await exportJWK(privateKey), publicJwk: await exportJWK(publicKey) };
  // Only the key's own folder is private: .data/ also holds the Postgres data, which another user runs.
  mkdirSync(path.dirname(path.dirname(file)), { recursive: true });
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(key), { mode: 0o600 });
  chmodSync(file, 0o600);
  return key;
}

export interface DevTokenOptions {
  scopes: string[];
  /** School ids for a school-limited token; absent for a token that reaches every school. */
  schools?: string[];
  /** District ids for a district-limited token; absent for a token that reaches every district. */
  districts?: string[];
  /** A jose time span ("12h") or an absolute expiry in seconds since the epoch. */
  expiresIn?: string | number;
  keyFile?: string;
}

/** A token shaped like the deployed issuer's access tokens, signed with the development key. */
export async function mintDevToken(options: DevTokenOptions): Promise<string> {
  const { privateJwk } = await loadDevKey(options.keyFile);
  return new SignJWT({
    scope: options.scopes.join(' '),
    ...(options.schools ? { schools: options.schools } : {}),
    ...(options.districts ? { districts: options.districts } : {}),
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
    .setIssuer(LOCAL_ISSUER)
    .setAudience(LOCAL_AUDIENCE)
    .setSubject('local-developer')
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '12h')
    .sign(await importJWK(privateJwk, 'ES256'));
}
