import { migrateDown, migrateUp } from '../shared/db/migrator';
import { getSequelize } from '../shared/db/sequelize';

/** `npm run migrate` applies pending migrations to DATABASE_URL; `npm run migrate -- down` reverts them all. */
async function main(): Promise<void> {
  const sequelize = getSequelize();
  try {
    if (process.argv[2] === 'down') {
      console.log(`Reverted: ${(await migrateDown(sequelize)).join(', ') || 'nothing'}`);
    } else {
      console.log(`Applied: ${(await migrateUp(sequelize)).join(', ') || 'nothing pending'}`);
    }
  } finally {
    await sequelize.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
