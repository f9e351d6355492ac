import { QueryTypes, type Sequelize } from 'sequelize';

/**
 * The oldest PostgreSQL the schema and the service run on: gen_random_uuid() is built in from 13, and
 * what needs newer (PostgreSQL 17's MAINTAIN privilege) is checked where it is used (shared/db/app-user.ts).
 * The suite runs on 17. Sequelize is told this floor instead of asking each container's server, which
 * would cost a connection of its own on first use; it only branches on versions below 9.5.
 */
export const MINIMUM_SERVER_VERSION = '13.0.0';

/** `MINIMUM_SERVER_VERSION` as PostgreSQL's `server_version_num`. */
const MINIMUM_SERVER_VERSION_NUM = 130000;

/** The database server is older than the service supports. */
export class UnsupportedServerError extends Error {
  override name = 'UnsupportedServerError';
}

/**
 * Refuses a server older than `minimum` (a `server_version_num`); the migrations call it first, so an
 * unsupported server is named before any statement fails on it.
 * @throws UnsupportedServerError naming the server's version and the minimum.
 */
export async function assertSupportedServer(sequelize: Sequelize, minimum = MINIMUM_SERVER_VERSION_NUM): Promise<void> {
  const [{ num, version }] = await sequelize.query<{ num: number; version: string }>(
    `SELECT current_setting('server_version_num')::int AS num, current_setting('server_version') AS version`,
    { type: QueryTypes.SELECT },
  );
  if (num < minimum) {
    const needed = `${Math.floor(minimum / 10000)}.${minimum % 10000}`;
    throw new UnsupportedServerError(`The database server runs PostgreSQL ${version}; school-roster needs ${needed} or later`);
  }
}
