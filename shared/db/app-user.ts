import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { QueryTypes, type Sequelize } from 'sequelize';

/**
 * The password as PostgreSQL stores it (RFC 5802 / 7677 SCRAM-SHA-256, 4096 iterations, as the server
 * computes it), so that the password itself never appears in a statement a server log could record.
 * SASLprep leaves printable ASCII as it is; the generated secrets are printable ASCII, and anything else
 * is refused rather than hashed differently from the server.
 */
function scramVerifier(password: string, salt = randomBytes(16)): string {
  if (!/^[\x20-\x7e]+$/.test(password)) throw new Error('The database user\'s password must be printable ASCII');
  const iterations = 4096;
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const hmac = (text: string) => createHmac('sha256', salted).update(text).digest();
  const storedKey = createHash('sha256').update(hmac('Client Key')).digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${hmac('Server Key').toString('base64')}`;
}

/**
 * Creates the database user the service runs as, or sets its password, and grants it what the service
 * does with the tables and nothing more: read and write rows, and the temporary tables of the roster
 * sync. It cannot create, alter or drop anything, nor touch the migrations' record. The migrate function
 * runs this after every migration run, as the cluster's administrator (create mode, docs/security.md#least-privilege-in-the-database),
 * so tables a migration adds are granted before the service uses them. Names and the password's SCRAM
 * verifier are quoted by the server (`format` with %I and %L), never spliced in by hand.
 */
export async function provisionAppUser(sequelize: Sequelize, user: string, password: string): Promise<void> {
  const statement = async (template: string, ...values: string[]) => {
    const [{ sql }] = await sequelize.query<{ sql: string }>(`SELECT format(${template}) AS sql`, { bind: values, type: QueryTypes.SELECT });
    // The error, not the statement: nothing of the password, even hashed, reaches a log.
    await sequelize.query(sql).catch((error: Error) => {
      throw new Error(`Provisioning the database user ${user} failed: ${error.message}`);
    });
  };
  const [{ exists, maintain }] = await sequelize.query<{ exists: boolean; maintain: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS exists,
            current_setting('server_version_num')::int >= 170000 AS maintain`,
    { bind: [user], type: QueryTypes.SELECT },
  );
  await statement(`'${exists ? 'ALTER' : 'CREATE'} ROLE %I WITH LOGIN PASSWORD %L', $1::text, $2::text`, user, scramVerifier(password));
  await statement(`'GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', current_database(), $1::text`, user);
  await statement(`'GRANT USAGE ON SCHEMA public TO %I', $1::text`, user);
  await statement(`'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO %I', $1::text`, user);
  // The roster sync refreshes the planner's statistics after a large import (PostgreSQL 17's MAINTAIN;
  // before 17 only the owner may, and the sync's ANALYZE of these tables is skipped with a warning).
  if (maintain) await statement(`'GRANT MAINTAIN ON users, schools, user_schools, user_roster_identities TO %I', $1::text`, user);
  await statement(`'REVOKE ALL ON "SequelizeMeta" FROM %I', $1::text`, user);
}
