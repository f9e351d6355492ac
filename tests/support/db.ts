import pg from 'pg';

/** A plain `pg` client on the worker's database, for arranging and asserting rows beside the service. */
export async function withClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Empties the roster tables of the worker's database; each test file starts from this. */
export async function resetDatabase(): Promise<void> {
  await withClient((client) => client.query('TRUNCATE users, schools, user_schools, districts CASCADE'));
}
