import { Client } from 'pg';
import { migrateDown, migrateUp } from '../../shared/db/migrator';
import { migrations } from '../../migrations';
import { openSequelize, recreateDatabase } from '../support/databases';
import { ADVISORY_LOCKS } from '../../shared/db/advisory-locks';

/** The tables, indexes and constraints of the public schema, to compare one state with another. */
async function schemaShape(sequelize: ReturnType<typeof openSequelize>) {
  const [rows] = await sequelize.query(`
    SELECT 'table ' || table_name AS item FROM information_schema.tables WHERE table_schema = 'public'
    UNION ALL SELECT 'index ' || indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
    UNION ALL SELECT 'constraint ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
      WHERE connamespace = 'public'::regnamespace
    ORDER BY 1`);
  return (rows as Array<{ item: string }>).map((row) => row.item);
}

describe('migrations', () => {
  let sequelize: ReturnType<typeof openSequelize>;

  let url: string;

  beforeAll(async () => {
    url = await recreateDatabase(process.env.TEST_SERVER_URL!, `roster_migrations_${process.env.JEST_WORKER_ID}`);
    sequelize = openSequelize(url);
  });
  afterAll(() => sequelize.close());

  it('go up from empty, down to empty, and up again to the same schema', async () => {
    expect(await migrateUp(sequelize)).toEqual(migrations.map((m) => m.name));
    const first = await schemaShape(sequelize);
    expect(first).toEqual(expect.arrayContaining(['table users', 'table schools', 'table user_schools']));

    expect(await migrateDown(sequelize)).toEqual(migrations.map((m) => m.name).reverse());
    expect((await schemaShape(sequelize)).filter((item) => !item.includes('SequelizeMeta'))).toEqual([]);

    await migrateUp(sequelize);
    expect(await schemaShape(sequelize)).toEqual(first);
  });

  it('apply each migration once when two containers run them at the same time', async () => {
    await migrateDown(sequelize);
    const other = openSequelize(url);
    try {
      const [a, b] = await Promise.all([migrateUp(sequelize), migrateUp(other)]);

      expect([...a, ...b].sort()).toEqual(migrations.map((m) => m.name).sort());
      expect(await migrateUp(sequelize)).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('finish when one builds its indexes CONCURRENTLY while the other waits for the lock', async () => {
    await migrateDown(sequelize);
    const other = openSequelize(url);
    const holder = new Client({ connectionString: url });
    await holder.connect();
    try {
      // A third run holds the lock until both are waiting for it.
      await holder.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCKS.migration]);
      const runs = Promise.all([migrateUp(sequelize), migrateUp(other)]);
      await new Promise((resolve) => setTimeout(resolve, 500));
      await holder.query('SELECT pg_advisory_unlock($1)', [ADVISORY_LOCKS.migration]);

      const [a, b] = await runs;

      expect([...a, ...b].sort()).toEqual(migrations.map((m) => m.name).sort());
    } finally {
      await holder.end();
      await other.close();
    }
  });
});
