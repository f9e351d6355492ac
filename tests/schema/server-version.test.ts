import { QueryTypes } from 'sequelize';
import { getSequelize } from '../../shared/db/sequelize';
import { assertSupportedServer, MINIMUM_SERVER_VERSION, UnsupportedServerError } from '../../shared/db/server-version';

afterAll(() => getSequelize().close());

describe('the database server version', () => {
  it('tells Sequelize the supported floor, never more than the server it talks to', async () => {
    const [{ num }] = await getSequelize().query<{ num: number }>(`SELECT current_setting('server_version_num')::int AS num`, {
      type: QueryTypes.SELECT,
    });
    // Sequelize keeps the option on `sequelize.options`, which its types leave out (as they do the option).
    const assumed = String((getSequelize() as unknown as { options: { databaseVersion: unknown } }).options.databaseVersion);
    const [major, minor] = assumed.split('.').map(Number);

    expect(assumed).toBe(MINIMUM_SERVER_VERSION);
    expect(major * 10000 + minor).toBeLessThanOrEqual(num);
  });

  it('accepts this server and refuses one older than the minimum, naming both versions', async () => {
    await expect(assertSupportedServer(getSequelize())).resolves.toBeUndefined();

    const refusal = assertSupportedServer(getSequelize(), 990000);
    await expect(refusal).rejects.toThrow(UnsupportedServerError);
    await expect(refusal).rejects.toThrow(/^The database server runs PostgreSQL \d+\.\d+.*; school-roster needs 99\.0 or later$/);
  });
});
