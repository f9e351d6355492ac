import { randomUUID } from 'node:crypto';
import { QueryTypes } from 'sequelize';
import { config } from '../config';
import { getSequelize } from '../db/sequelize';
import { NotFoundError, ValidationError } from '../errors';
import { assertReachableUrl, UnsafeAddressError } from '../net/address-guard';
import { encodeCursor, type CreateWebhookInput, type Page, type WebhookDto, type WebhookListInput } from '../schemas';
import { encryptSecret, generateSecret } from './secrets';

interface WebhookRow {
  webhookId: string;
  url: string;
  types: WebhookDto['types'];
  createdAt: Date;
  failingSince: Date | null;
  disabledAt: Date | null;
  lastError: string | null;
  nextAttemptAt: Date;
}

const COLUMNS = `"webhookId", "url", "types", "createdAt", "failingSince", "disabledAt", "lastError", "nextAttemptAt"`;

function toWebhookDto(row: WebhookRow): WebhookDto {
  return {
    webhookId: row.webhookId,
    url: row.url,
    types: row.types,
    createdAt: row.createdAt.toISOString(),
    status: row.disabledAt ? 'disabled' : row.failingSince ? 'failing' : 'active',
    failingSince: row.failingSince?.toISOString() ?? null,
    disabledAt: row.disabledAt?.toISOString() ?? null,
    lastError: row.lastError,
    nextAttemptAt: row.nextAttemptAt.toISOString(),
  };
}

/**
 * Refuses a receiver the service must not reach (docs/change-feed.md): deployed, anything but https to a public
 * address (loopback, private, link-local, the metadata service...). Checked here and again at delivery.
 * @throws ValidationError naming `url`
 */
async function checkReceiver(url: string): Promise<void> {
  try {
    await assertReachableUrl(url, { deployed: config.deployed });
  } catch (error) {
    if (!(error instanceof UnsafeAddressError)) throw error;
    throw new ValidationError([{ path: 'url', message: error.message }]);
  }
}

/**
 * Subscribes a receiver to the change feed from now on: its cursor starts at the newest committed
 * event, so it gets every change that commits after this answer. The secret is generated here,
 * returned once and stored only encrypted.
 * @throws ValidationError when the URL may not be reached
 */
export async function createWebhook(input: CreateWebhookInput): Promise<WebhookDto & { secret: string }> {
  await checkReceiver(input.url);
  const webhookId = randomUUID();
  const secret = generateSecret();
  const [row] = await getSequelize().query<WebhookRow>(
    `WITH head AS (
       SELECT c."position", (SELECT max(e."id") FROM change_events e WHERE e."txid" = c."txid") AS "eventId"
       FROM change_commits c ORDER BY c."position" DESC LIMIT 1
     )
     INSERT INTO webhooks ("webhookId", "url", "types", "secret", "cursorPosition", "cursorEventId")
     SELECT $1, $2, $3, $4, COALESCE(h."position", w."prunedPosition"), COALESCE(h."eventId", w."prunedEventId")
     FROM change_feed_state w LEFT JOIN head h ON true
     RETURNING ${COLUMNS}`,
    { bind: [webhookId, input.url, input.types ?? null, await encryptSecret(webhookId, secret)], type: QueryTypes.SELECT },
  );
  return { ...toWebhookDto(row), secret };
}

/** A page of subscriptions by webhookId. */
export async function listWebhooks(input: WebhookListInput): Promise<Page<WebhookDto>> {
  const rows = await getSequelize().query<WebhookRow>(
    `SELECT ${COLUMNS} FROM webhooks WHERE $1::uuid IS NULL OR "webhookId" > $1::uuid ORDER BY "webhookId" LIMIT $2`,
    { bind: [input.cursor?.webhookId ?? null, input.limit + 1], type: QueryTypes.SELECT },
  );
  const items = rows.slice(0, input.limit).map(toWebhookDto);
  return { items, nextCursor: rows.length > input.limit ? encodeCursor({ webhookId: items[items.length - 1].webhookId }) : null };
}

/** @throws NotFoundError when there is no such subscription */
export async function getWebhook(webhookId: string): Promise<WebhookDto> {
  const [row] = await getSequelize().query<WebhookRow>(`SELECT ${COLUMNS} FROM webhooks WHERE "webhookId" = $1`, { bind: [webhookId], type: QueryTypes.SELECT });
  if (!row) throw new NotFoundError(`No webhook ${webhookId}.`);
  return toWebhookDto(row);
}

/**
 * Ends a subscription; no delivery starts after this answers (the deliverer checks the row before each).
 * @throws NotFoundError when there is no such subscription
 */
export async function deleteWebhook(webhookId: string): Promise<void> {
  const rows = await getSequelize().query(`DELETE FROM webhooks WHERE "webhookId" = $1 RETURNING 1`, { bind: [webhookId], type: QueryTypes.SELECT });
  if (rows.length === 0) throw new NotFoundError(`No webhook ${webhookId}.`);
}
