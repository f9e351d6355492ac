import { getSequelize } from '../../shared/db/sequelize';

export interface RecordedQuery {
  sql: string;
  bind: unknown[];
}

/**
 * Runs `work` and returns what it resolved to with every query the service's Sequelize instance sent
 * meanwhile (a test-only `afterQuery` hook; LOG_SQL need not be on).
 */
export async function recordQueries<T>(work: () => Promise<T>): Promise<{ result: T; queries: RecordedQuery[] }> {
  const sequelize = getSequelize();
  const queries: RecordedQuery[] = [];
  sequelize.addHook('afterQuery', 'recordQueries', (options, query) => {
    // AbstractQuery's type omits `sql`, which run() sets before the hook fires.
    const { sql } = query as unknown as { sql: string };
    queries.push({ sql, bind: (options.bind as unknown[] | undefined) ?? [] });
  });
  try {
    return { result: await work(), queries };
  } finally {
    sequelize.removeHook('afterQuery', 'recordQueries');
  }
}
