import middy from '@middy/core';
import { migrateUp } from '../shared/db/migrator';
import { closeConnections, getSequelize, openConnections } from '../shared/db/sequelize';

/**
 * Applies pending migrations; invoked once after each deploy (README, "Deploy"). Not on the HTTP API.
 * Its connection is closed at the end whatever the pool mode: migrations run rarely.
 */
export const handler = middy(async () => {
  openConnections();
  try {
    const applied = await migrateUp(getSequelize());
    return { applied };
  } finally {
    await closeConnections();
  }
});
