import { importJWK, jwtVerify, type JWTPayload } from 'jose';
import { logger } from '../logger';
import { LOCAL_AUDIENCE, LOCAL_ISSUER } from './access';
import type { HttpEvent } from './types';

let localKey: ReturnType<typeof importJWK> | undefined;

/**
 * Locally: serverless-offline checks no signature, so the service verifies the bearer token itself
 * against the development public key, and ignores whatever claims the event carries. Deployed, API
 * Gateway has verified the token (docs/decisions/0001-authentication-at-the-gateway.md): auth.ts loads
 * this module, and jose with it, only when the development key is configured, so a deployed container
 * never evaluates them (docs/decisions/0030-cold-start.md).
 */
export async function locallyVerifiedClaims(event: HttpEvent, publicJwk: string): Promise<Record<string, unknown> | undefined> {
  const header = Object.entries(event.headers ?? {}).find(([name]) => name.toLowerCase() === 'authorization')?.[1];
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (!match) return undefined;
  localKey ??= importJWK(JSON.parse(publicJwk), 'ES256');
  try {
    const { payload } = await jwtVerify(match[1], await localKey, { issuer: LOCAL_ISSUER, audience: LOCAL_AUDIENCE, algorithms: ['ES256'] });
    return payload as JWTPayload & Record<string, unknown>;
  } catch (error) {
    logger.info('bearer token refused', { reason: (error as { code?: string }).code ?? 'invalid' });
    return undefined;
  }
}
