import { rmSync } from 'node:fs';

/** Stops the throwaway server started by global-setup (a DATABASE_URL server is left running). */
export default async function globalTeardown(): Promise<void> {
  await globalThis.__testPostgres?.stop();
  if (process.env.TEST_RUN_DIR) rmSync(process.env.TEST_RUN_DIR, { recursive: true, force: true });
}
