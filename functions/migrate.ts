import middy from '@middy/core';
import { config } from '../shared/config';
import { provisionAppUser } from '../shared/db/app-user';
import { readSecret } from '../shared/db/credentials';
import { migrateUp } from '../shared/db/migrator';
import { closeConnections, getSequelize, openConnections } from '../shared/db/sequelize';

/**
 * Applies pending migrations; invoked once after each deploy (docs/deploy.md). Not on the HTTP API.
 * In create mode it then provisions the user the other functions run as (DB_APP_SECRET_ID). Its
 * connection is closed at the end whatever the pool mode: migrations run rarely.
 */
export const handler = middy(async () => {
  openConnections();
  try {
    const sequelize = getSequelize();
    const { appSecretId } = config.database;
    if (!appSecretId) return { applied: await migrateUp(sequelize) };
    const { user, password } = await readSecret(appSecretId);
    if (!user) throw new Error(`Secret ${appSecretId} has no "username" field`);
    const applied = await migrateUp(sequelize, () => provisionAppUser(sequelize, user, password));
    return { applied, appUser: user };
  } finally {
    await closeConnections();
  }
});
