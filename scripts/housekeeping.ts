import { getSequelize } from '../shared/db/sequelize';
import { runHousekeeping } from '../shared/services/housekeeping';

/** `npm run housekeeping`: one retention run against DATABASE_URL, as the scheduled function runs it. */
async function main(): Promise<void> {
  try {
    const { removed, batches, largestBatch, complete } = await runHousekeeping();
    console.log(
      `Housekeeping ${complete ? 'done' : 'stopped early (the next run goes on)'}: erased ${removed.users} users and ${removed.schools} schools ` +
        `soft-deleted past retention; deleted ${removed.syncRuns} sync runs, ${removed.idempotencyKeys} expired Idempotency-Keys ` +
        `and ${removed.changes} change events past retention ` +
        `(${batches} batches, at most ${largestBatch} rows each)`,
    );
  } finally {
    await getSequelize().close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
