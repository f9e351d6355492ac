import { openSequelize, recreateDatabase } from '../../scripts/databases';
import { migrateUp } from '../../shared/db/migrator';

/** Jest workers that may run at once; each owns the database `roster_test_<JEST_WORKER_ID>`. */
const WORKER_DATABASES = 4;
const TEMPLATE_DATABASE = 'roster_test_template';

export { openSequelize, recreateDatabase } from '../../scripts/databases';

export function workerDatabase(workerId: string | number): string {
  return `roster_test_${workerId}`;
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
