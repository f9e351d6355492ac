import { setTimeout as sleep } from 'node:timers/promises';
import { QueryTypes, type Transaction } from 'sequelize';
import { certainlyNotApplied } from '../db/retry';
import { getSequelize } from '../db/sequelize';
import { SEAL_SQL } from './seal';

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
