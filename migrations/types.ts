import type { Sequelize } from 'sequelize';
import type { RunnableMigration } from 'umzug';

export type Migration = RunnableMigration<Sequelize>;

/** An index a migration builds: its name and what follows `ON` in CREATE INDEX. */
export type IndexDefinition = [name: string, definition: string];

/**
 * Builds indexes CONCURRENTLY, one statement each (it cannot run inside a transaction), so that the
 * migrate function can run beside the live service. A CONCURRENTLY build that failed leaves an INVALID
 * index behind; it is dropped first so that a re-run rebuilds it.
 */
export async function createIndexesConcurrently(sequelize: Sequelize, indexes: IndexDefinition[]): Promise<void> {
  for (const [name, definition] of indexes) {
    await sequelize.query(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
    await sequelize.query(`CREATE INDEX CONCURRENTLY ${name} ON ${definition}`);
  }
}

/** Drops what createIndexesConcurrently built, in reverse order. */
export async function dropIndexesConcurrently(sequelize: Sequelize, indexes: IndexDefinition[]): Promise<void> {
  for (const [name] of [...indexes].reverse()) {
    await sequelize.query(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
  }
}
