import type { Migration } from './types';

/**
 * Idempotency-Key records for POST /users and POST /schools. A key is claimed in the same transaction
 * that creates the record and stores the response, so a key exists exactly when its creation committed.
 * Keys are scoped by route and caller (`scope`); `expiresAt` bounds how long a retry is recognised.
 */
export const createIdempotencyKeys: Migration = {
  name: '0004-create-idempotency-keys',
  async up({ context: sequelize }) {
    await sequelize.query(`
      CREATE TABLE idempotency_keys (
        "scope"          varchar(64)  NOT NULL,
        "key"            varchar(255) NOT NULL,
        "requestHash"    char(64)     NOT NULL,
        "responseStatus" smallint,
        "responseBody"   text,
        "responseHeaders" jsonb,
        "createdAt"      timestamptz  NOT NULL DEFAULT now(),
        "expiresAt"      timestamptz  NOT NULL,
        PRIMARY KEY ("scope", "key")
      );
      -- Serves the periodic purge of expired keys.
      CREATE INDEX idempotency_keys_expires_at_idx ON idempotency_keys ("expiresAt");
    `);
  },
  async down({ context: sequelize }) {
    await sequelize.query('DROP TABLE idempotency_keys;');
  },
};
