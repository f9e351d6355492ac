import { randomBytes } from 'node:crypto';
import { withDatabase } from '../../scripts/database-url';
import { workerDatabase } from './databases';

// Runs before each test file, before its imports: the service's config reads DATABASE_URL at load.
const serverUrl = process.env.TEST_SERVER_URL;
if (!serverUrl) throw new Error('TEST_SERVER_URL is not set: run the tests through jest (npm test)');
process.env.DATABASE_URL = withDatabase(serverUrl, workerDatabase(process.env.JEST_WORKER_ID ?? '1'));
// One JSON log line per request would bury Jest's report; the log tests raise the level themselves.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
// Metrics are EMF lines on stdout; tests/observability/metrics.test.ts turns them on for itself.
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
// The key that encrypts webhook signing secrets at rest (npm start keeps one under .data/).
process.env.WEBHOOK_KEY ??= randomBytes(32).toString('base64');
