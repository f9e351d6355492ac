import { migrateDown, migrateUp } from '../../shared/db/migrator';
import { openSequelize, recreateDatabase } from '../support/databases';

const LIST_INDEXES = ['schools_list_order_idx', 'users_email_prefix_idx', 'users_first_name_prefix_idx', 'users_last_name_prefix_idx', 'users_list_order_idx'];

describe('migration 0002-add-list-indexes', () => {
  it('creates the list indexes, drops them on down, and creates them again on up', async () => {
    const url = await recreateDatabase(process.env.TEST_SERVER_URL!, `roster_migration_0002_${process.env.JEST_WORKER_ID}`);
    const sequelize = openSequelize(url);
    const listIndexes = async () =>
      ((await sequelize.query(`SELECT indexname FROM pg_indexes WHERE indexname = ANY($1) ORDER BY 1`, { bind: [LIST_INDEXES], plain: false, raw: true }))[0] as Array<{ indexname: string }>).map(
        (row) => row.indexname,
      );
    try {
      await migrateUp(sequelize);
      expect(await listIndexes()).toEqual(LIST_INDEXES);

      // Down to 0002 inclusive: later migrations are reverted first.
      expect(await migrateDown(sequelize, '0002-add-list-indexes')).toContain('0002-add-list-indexes');
      expect(await listIndexes()).toEqual([]);

      expect(await migrateUp(sequelize)).toContain('0002-add-list-indexes');
      expect(await listIndexes()).toEqual(LIST_INDEXES);
    } finally {
      await sequelize.close();
    }
  });
});
