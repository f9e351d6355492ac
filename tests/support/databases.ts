import pg from 'pg';
import { Sequelize } from 'sequelize';
import { withDatabase } from '../../scripts/database-url';
import { migrateUp } from '../../shared/db/migrator';

/** Jest workers that may run at once; each owns the database `roster_test_<JEST_WORKER_ID>`. */
const WORKER_DATABASES = 4;
const TEMPLATE_DATABASE = 'roster_test_template';

export function workerDatabase(workerId: string | number): string {
  return `roster_test_${workerId}`;
}

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

/** Builds the migrated template once, then one copy of it per worker (a copy takes ~20 ms). */
export async function prepareTestDatabases(serverUrl: string): Promise<void> {
  const templateUrl = await recreateDatabase(serverUrl, TEMPLATE_DATABASE);
  const sequelize = openSequelize(templateUrl);
  try {
    await migrateUp(sequelize);
  } finally {
    await sequelize.close();
  }
  for (let worker = 1; worker <= WORKER_DATABASES; worker++) {
    await recreateDatabase(serverUrl, workerDatabase(worker), TEMPLATE_DATABASE);
  }
}
