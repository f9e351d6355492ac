import type pg from 'pg';
import { ADVISORY_LOCKS } from '../db/advisory-locks';


/**
 * The last statement of every transaction that wrote change events (docs/change-feed.md). It takes a
 * transaction-level advisory lock, which PostgreSQL releases only after the commit is visible, and under
 * it the transaction's next feed position (an identity column): so position p+1 is taken only once p's
 * transaction is visible, and a reader whose snapshot shows p+1 shows p. Positions follow commit order
 * exactly; writers serialise only this statement and their COMMIT. A transaction that wrote no event
 * takes neither lock nor position.
 */
export const SEAL_SQL = `DO $seal$ BEGIN
  IF EXISTS (SELECT 1 FROM change_events WHERE "txid" = pg_current_xact_id_if_assigned()) THEN
    PERFORM pg_advisory_xact_lock(${ADVISORY_LOCKS.changeSeal});
    INSERT INTO change_commits ("txid") VALUES (pg_current_xact_id()) ON CONFLICT ("txid") DO NOTHING;
  END IF;
END $seal$`;

/**
 * The same seal for a transaction run on a plain `pg` client (the roster sync), right before its COMMIT.
 * In a module of its own, without Sequelize, so that the sync's bundle does not carry it.
 */
export async function sealChanges(client: pg.ClientBase): Promise<void> {
  await client.query(SEAL_SQL);
}
