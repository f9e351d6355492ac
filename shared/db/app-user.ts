import { QueryTypes, type Sequelize } from 'sequelize';

/**
 * Creates the database user the service runs as, or sets its password, and grants it what the service
 * does with the tables and nothing more: read and write rows, and the temporary tables of the roster
 * sync. It cannot create, alter or drop anything, nor touch the migrations' record. The migrate function
 * runs this after every migration run, as the cluster's administrator (create mode, README "Security"),
 * so tables a migration adds are granted before the service uses them. Names and password are quoted by
 * the server (`format` with %I and %L), never spliced in by hand.
 */
export async function provisionAppUser(sequelize: Sequelize, user: string, password: string): Promise<void> {
  const statement = async (template: string, ...values: string[]) => {
    const [{ sql }] = await sequelize.query<{ sql: string }>(`SELECT format(${template}) AS sql`, { bind: values, type: QueryTypes.SELECT });
    // The error, not the statement: a failed CREATE ROLE's `sql` would carry the password into the logs.
    await sequelize.query(sql).catch((error: Error) => {
      throw new Error(`Provisioning the database user ${user} failed: ${error.message}`);
    });
  };
  const [{ exists, maintain }] = await sequelize.query<{ exists: boolean; maintain: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS exists,
            current_setting('server_version_num')::int >= 170000 AS maintain`,
    { bind: [user], type: QueryTypes.SELECT },
  );
  await statement(`'${exists ? 'ALTER' : 'CREATE'} ROLE %I WITH LOGIN PASSWORD %L', $1::text, $2::text`, user, password);
  await statement(`'GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', current_database(), $1::text`, user);
  await statement(`'GRANT USAGE ON SCHEMA public TO %I', $1::text`, user);
  await statement(`'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO %I', $1::text`, user);
  // The roster sync refreshes the planner's statistics after a large import (PostgreSQL 17's MAINTAIN;
  // before 17 only the owner may, and the sync's ANALYZE of these tables is skipped with a warning).
  if (maintain) await statement(`'GRANT MAINTAIN ON users, schools, user_schools TO %I', $1::text`, user);
  await statement(`'REVOKE ALL ON "SequelizeMeta" FROM %I', $1::text`, user);
}
