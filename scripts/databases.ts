import pg from 'pg';
import { Sequelize } from 'sequelize';
import { withDatabase } from './database-url';

/** A standalone Sequelize instance for tests and scripts; the service's own is in shared/db. */
export function openSequelize(url: string): Sequelize {
  return new Sequelize(url, { dialect: 'postgres', dialectModule: pg, logging: false, pool: { max: 2, min: 0 } });
}

export async function recreateDatabase(serverUrl: string, name: string, template?: string): Promise<string> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ''}`);
  } finally {
    await client.end();
  }
  return withDatabase(serverUrl, name);
}
