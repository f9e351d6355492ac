import type { RetryOptions } from 'sequelize';

/** Matched by name, as in ./errors: a second copy of Sequelize (a test's isolated registry) defeats instanceof. */
const errorName = (error: unknown) => (error instanceof Error ? error.name : '');
const CONNECT_ERROR_NAME = /^Sequelize(Connection|ConnectionRefused|AccessDenied|HostNotFound|HostNotReachable|InvalidConnection)Error$/;

function codeOf(error: unknown): string | undefined {
  const parent = (error as { parent?: { code?: unknown } }).parent ?? error;
  const code = (parent as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Connect failures that are quick and usually pass: the server starting up or shutting down (57P03),
 * out of slots (53300), a refused or reset handshake, a rotated password (28P01). A connect that timed
 * out is not here: its time is spent, and the caller gets its 503 sooner without a second wait.
 */
const FAST_CONNECT_FAILURES = new Set(['57P03', '53300', '28P01', 'ECONNRESET']);

/**
 * The server ended the session (pg_terminate_backend, a failover, RDS Proxy draining). Postgres aborts
 * the session's open transaction first, and a statement's result would have arrived before the FATAL
 * message, so the statement that receives it did not commit: any statement may run again.
 */
const SESSION_TERMINATED = new Set(['57P01', '57P02']);

/**
 * pg refuses a statement on a client whose session has already ended (`... is not queryable`) before it
 * sends anything: the server never saw it, so any statement may run again, on a new connection. Such a
 * client reaches a query when the server ends its session just as its login completes.
 */
const NEVER_SENT = /is not queryable$/;

/** The socket died under the statement: a write may or may not have committed, a read is safe to repeat. */
const LOST_CONNECTION = /Connection terminated|ECONNRESET|EPIPE|socket hang up|read ECONN/i;
const READ_ONLY_SQL = /^\s*(SELECT|SHOW)\b/i;

/**
 * Whether the server certainly applied nothing of what failed: the statement never reached it, the
 * connection was refused, or the server ended the session (which aborts its open transaction).
 */
export function certainlyNotApplied(error: unknown): boolean {
  if (error instanceof Error && NEVER_SENT.test(error.message)) return true;
  const name = errorName(error);
  if (name === 'SequelizeConnectionRefusedError') return true;
  // Not the acquire or connect timeouts: their time is spent.
  if (CONNECT_ERROR_NAME.test(name)) return FAST_CONNECT_FAILURES.has(codeOf(error) ?? '');
  return name === 'SequelizeDatabaseError' && SESSION_TERMINATED.has(codeOf(error) ?? '');
}

/**
 * Whether a failed statement is safe to run again: it never reached the server, or the server certainly
 * did not apply it, or it only reads. Everything else surfaces (as a 503 when the database is at fault).
 */
function isSafeToRetry(error: unknown): boolean {
  if (certainlyNotApplied(error)) return true;
  if (errorName(error) !== 'SequelizeDatabaseError') return false;
  const { message, sql } = error as Error & { sql?: string };
  return LOST_CONNECTION.test(message) && READ_ONLY_SQL.test(sql ?? '');
}

/** True when the server refused the password: the credentials provider must fetch it again. */
function isAuthFailure(error: unknown): boolean {
  return CONNECT_ERROR_NAME.test(errorName(error)) && codeOf(error) === '28P01';
}

/**
 * Sequelize's own per-query retry (retry-as-promised): three attempts, waits of about 100 and 200 ms
 * with ±50 ms jitter, so retries from many containers do not arrive in step and the whole budget stays
 * far below the acquire timeout. `onAuthFailure` lets a rotated secret be fetched before the next try.
 */
export function retryOptions(onAuthFailure: () => void): RetryOptions {
  const match = (error: unknown): boolean => {
    if (isAuthFailure(error)) onAuthFailure();
    return isSafeToRetry(error);
  };
  // retry-as-promised calls a match function that is not a class (`instanceof` throws) as a predicate.
  return { max: 3, match: [match], backoffBase: 100, backoffExponent: 2, backoffJitter: 50 } as RetryOptions;
}
