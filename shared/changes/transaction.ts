import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { QueryTypes, type Transaction } from 'sequelize';
import { certainlyNotApplied } from '../db/retry';
import { getSequelize } from '../db/sequelize';

/** Arbitrary, fixed key of the advisory lock that orders the commits of transactions that wrote change events. */
const SEAL_LOCK_KEY = 724_100_005;

/**
 * The last statement of every transaction that wrote change events (docs/change-feed.md). It takes a
 * transaction-level advisory lock, which PostgreSQL releases only after the commit is visible, and under
 * it the transaction's next feed position (an identity column): so position p+1 is taken only once p's
 * transaction is visible, and a reader whose snapshot shows p+1 shows p. Positions follow commit order
 * exactly; writers serialise only this statement and their COMMIT. A transaction that wrote no event
 * takes neither lock nor position.
 */
const SEAL_SQL = `DO $seal$ BEGIN
  IF EXISTS (SELECT 1 FROM change_events WHERE "txid" = pg_current_xact_id_if_assigned()) THEN
    PERFORM pg_advisory_xact_lock(${SEAL_LOCK_KEY});
    INSERT INTO change_commits ("txid") VALUES (pg_current_xact_id()) ON CONFLICT ("txid") DO NOTHING;
  END IF;
END $seal$`;

/** The transactions changeTransaction opened, the only ones a write may join (see withChanges). */
const changeTransactions = new WeakSet<Transaction>();

/** Attempts of a whole change transaction, and the first wait between them (then doubled), as shared/db/retry.ts. */
const TRANSACTION_ATTEMPTS = 3;
const TRANSACTION_RETRY_MS = 100;

/**
 * Runs `work` in a transaction that seals its change events as its last statement before COMMIT. Every
 * write through Sequelize runs in one (services call withChanges). A transaction the server certainly
 * did not apply (its connection was dead before BEGIN was sent, or the server ended the session) runs
 * again from the start on a new connection: Sequelize's per-statement retry (shared/db/retry.ts) would
 * try again on the transaction's own dead connection. `work` only touches the database, so running it
 * again is safe.
 */
export async function changeTransaction<T>(work: (transaction: Transaction) => Promise<T>): Promise<T> {
  const sequelize = getSequelize();
  for (let attempt = 1; ; attempt++) {
    try {
      return await sequelize.transaction(async (transaction) => {
        changeTransactions.add(transaction);
        const result = await work(transaction);
        await sequelize.query(SEAL_SQL, { transaction, type: QueryTypes.RAW });
        return result;
      });
    } catch (error) {
      if (attempt >= TRANSACTION_ATTEMPTS || !certainlyNotApplied(error)) throw error;
      await sleep(TRANSACTION_RETRY_MS * 2 ** (attempt - 1));
    }
  }
}

/**
 * Runs a write in `transaction` (which must come from changeTransaction, so that it will be sealed), or
 * in a change transaction of its own when none is given.
 * @throws Error when `transaction` is not a change transaction: its events would never reach the feed
 */
export function withChanges<T>(transaction: Transaction | undefined, work: (transaction: Transaction) => Promise<T>): Promise<T> {
  if (!transaction) return changeTransaction(work);
  if (!changeTransactions.has(transaction)) throw new Error('A write joined a transaction that changeTransaction did not open: its change events would never be sealed');
  return work(transaction);
}

/** The same seal for a transaction run on a plain `pg` client (the roster sync), right before its COMMIT. */
export async function sealChanges(client: pg.ClientBase): Promise<void> {
  await client.query(SEAL_SQL);
}
