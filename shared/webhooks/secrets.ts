import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { config } from '../config';
import { readSecret } from '../db/credentials';

/**
 * Webhook signing secrets are stored encrypted (AES-256-GCM, the subscription's id as associated data,
 * so a ciphertext copied onto another row does not decrypt): a database dump, a replica or a DBA's query
 * yields no secret to sign with. Only the functions that can read the key (webhooks, to encrypt a new
 * secret; deliver, to sign) can sign. Standard Webhooks can also sign asymmetrically (ed25519), but its
 * `standardwebhooks` package signs and verifies only the symmetric `v1` HMAC, which is what receivers
 * verify today.
 */

let key: Promise<Buffer> | undefined;

async function loadKey(): Promise<Buffer> {
  const { key: local, keySecretId } = config.webhooks;
  if (local) return Buffer.from(local, 'base64');
  if (!keySecretId) throw new Error('Webhook secrets need WEBHOOK_KEY (local) or WEBHOOK_KEY_SECRET_ID (deployed)');
  // A generated Secrets Manager secret (serverless.yml): its random text, stretched to an AES-256 key.
  const { password } = await readSecret(keySecretId);
  return Buffer.from(hkdfSync('sha256', password, Buffer.alloc(0), 'school-roster webhook secrets', 32));
}

/** The key, read once per container. */
function encryptionKey(): Promise<Buffer> {
  key ??= loadKey().catch((error: unknown) => {
    key = undefined;
    throw error;
  });
  return key;
}

/** A new signing secret in the Standard Webhooks form: `whsec_` and 24 random bytes in base64. */
export function generateSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** The secret encrypted for the subscription `webhookId`: IV (12 bytes), tag (16), ciphertext. */
export async function encryptSecret(webhookId: string, secret: string): Promise<Buffer> {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', await encryptionKey(), iv).setAAD(Buffer.from(webhookId));
  const ciphertext = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]);
}

/** The subscription's secret, for signing. @throws Error when the stored value was not encrypted for it with this key */
export async function decryptSecret(webhookId: string, stored: Buffer): Promise<string> {
  const decipher = createDecipheriv('aes-256-gcm', await encryptionKey(), stored.subarray(0, 12)).setAAD(Buffer.from(webhookId));
  decipher.setAuthTag(stored.subarray(12, 28));
  return Buffer.concat([decipher.update(stored.subarray(28)), decipher.final()]).toString('utf8');
}
