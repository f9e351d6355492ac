import { QueryTypes, type Sequelize, type Transaction } from 'sequelize';
import { changeTransaction } from '../changes/transaction';
import { getSequelize } from '../db/sequelize';
import { IdempotencyKeyReusedError } from '../errors';
import { logger } from '../logger';

/** How long a key is remembered: a client retrying after a day is making a new request. */
const KEY_TTL = '24 hours';
/**
 * Expired keys each newly claimed key deletes: more than one, so the table shrinks back to a day's
 * keys after a busy day, and few, so no request pays for a large delete.
 */
const PURGE_BATCH = 10;

export interface IdempotentRequest {
  /** What the key is scoped to: the route and the caller, e.g. "POST /users 9f86d081…" (at most 64 characters). */
  scope: string;
  key: string;
  /** SHA-256 of the canonical request body. */
  requestHash: string;
}

export interface StoredResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

interface KeyRow {
  requestHash: string;
  responseStatus: number;
  responseHeaders: Record<string, string>;
  responseBody: string;
}

/**
 * Runs `create` at most once per key, in one transaction with the claim of the key and the stored
 * response: either both commit or neither does, so a failed creation leaves the key free for a retry.
 * A concurrent request with the same key waits on the claim (the row lock of the uncommitted INSERT)
 * and then replays what the first one stored. An expired key is claimed afresh. A newly claimed key
 * then deletes up to PURGE_BATCH expired ones.
 * @throws IdempotencyKeyReusedError when the key was used with another body
 */
export async function runOnce(
  request: IdempotentRequest,
  create: (transaction: Transaction) => Promise<StoredResponse>,
): Promise<{ response: StoredResponse; replayed: boolean }> {
  const sequelize = getSequelize();
  // A change transaction: the record's change event is sealed with the claim and the stored response.
  const outcome = await changeTransaction(async (transaction) => {
    const replacements = { ...request, ttl: KEY_TTL };
    const claimed = await sequelize.query(
      `INSERT INTO idempotency_keys ("scope", "key", "requestHash", "expiresAt")
       VALUES (:scope, :key, :requestHash, now() + CAST(:ttl AS interval))
       ON CONFLICT ("scope", "key") DO UPDATE
         SET "requestHash" = EXCLUDED."requestHash", "responseStatus" = NULL, "responseHeaders" = NULL,
             "responseBody" = NULL, "createdAt" = now(), "expiresAt" = EXCLUDED."expiresAt"
         WHERE idempotency_keys."expiresAt" <= now()
       RETURNING "key"`,
      { replacements, transaction, type: QueryTypes.SELECT },
    );
    if (claimed.length === 0) {
      const [row] = await sequelize.query<KeyRow>(
        `SELECT "requestHash", "responseStatus", "responseHeaders", "responseBody"
         FROM idempotency_keys WHERE "scope" = :scope AND "key" = :key`,
        { replacements, transaction, type: QueryTypes.SELECT },
      );
      if (row.requestHash !== request.requestHash) throw new IdempotencyKeyReusedError();
      return {
        response: { statusCode: row.responseStatus, headers: row.responseHeaders, body: row.responseBody },
        replayed: true,
      };
    }
    const response = await create(transaction);
    await sequelize.query(
      `UPDATE idempotency_keys SET "responseStatus" = :status, "responseHeaders" = CAST(:headers AS jsonb), "responseBody" = :body
       WHERE "scope" = :scope AND "key" = :key`,
      {
        replacements: { ...replacements, status: response.statusCode, headers: JSON.stringify(response.headers), body: response.body },
        transaction,
        type: QueryTypes.UPDATE,
      },
    );
    return { response, replayed: false };
  });
  if (!outcome.replayed) await purgeExpiredKeys(sequelize);
  return outcome;
}

/**
 * A statement of its own, after the claim committed: it waits on no lock (SKIP LOCKED), so it cannot
 * deadlock with a request claiming one of these keys, and a failure costs the created record nothing.
 */
async function purgeExpiredKeys(sequelize: Sequelize): Promise<void> {
  try {
    await sequelize.query(
      `DELETE FROM idempotency_keys WHERE ("scope", "key") IN (
         SELECT "scope", "key" FROM idempotency_keys WHERE "expiresAt" <= now()
         ORDER BY "expiresAt" LIMIT :batch FOR UPDATE SKIP LOCKED)`,
      { replacements: { batch: PURGE_BATCH }, type: QueryTypes.BULKDELETE },
    );
  } catch (error) {
    logger.warn('expired idempotency keys not purged', { reason: (error as Error).message });
  }
}
