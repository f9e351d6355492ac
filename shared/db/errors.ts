import { ConflictError, HttpError, ServiceUnavailableError } from '../errors';

/** SQLSTATEs that mean "the database cannot serve now", not "this request is wrong". */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown: terminating connection due to administrator command
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: the server is starting up or shutting down
  '53300', // too_many_connections
  '57014', // query_canceled: statement_timeout
  '55P03', // lock_not_available: lock_timeout
]);

const CONNECTION_ERROR_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH']);

function sqlState(error: unknown): string | undefined {
  const parent = (error as { parent?: { code?: unknown } }).parent ?? error;
  const code = (parent as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

// "not queryable": a pooled client whose socket already closed; "Query read timeout": pg's client-side
// query_timeout, when the socket went silent rather than closed.
const UNAVAILABLE_MESSAGE =
  /Connection terminated|connection is closed|Client has encountered a connection error|timeout exceeded when trying to connect|not queryable|Query read timeout/i;

/**
 * Sequelize's connection errors (refused, timed out, acquire timeout, ...) and its TimeoutError, matched
 * by name rather than instanceof: the error classes are loaded lazily with the dialect, and a second copy
 * of the package (a bundler, a test's isolated registry) would defeat instanceof.
 */
const UNAVAILABLE_ERROR_NAME =
  /^Sequelize(Connection|ConnectionRefused|ConnectionTimedOut|ConnectionAcquireTimeout|AccessDenied|HostNotFound|HostNotReachable|InvalidConnection|Timeout)Error$/;

const errorName = (error: unknown) => (error instanceof Error ? error.name : '');

/** True when `error` says the database is out of reach or refusing work, whatever the request was. */
function isUnavailable(error: unknown): boolean {
  if (UNAVAILABLE_ERROR_NAME.test(errorName(error))) return true;
  const code = sqlState(error);
  if (code && (UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08') || CONNECTION_ERROR_CODES.has(code))) return true;
  const cause = (error as { parent?: unknown }).parent ?? error;
  return cause instanceof Error && UNAVAILABLE_MESSAGE.test(cause.message);
}

/** Field of the request that each unique index guards, for a 409 that names it. */
const UNIQUE_FIELDS: Record<string, string> = {
  users_email_live_key: 'email',
  users_user_name_live_key: 'userName',
  schools_code_live_key: 'code',
  schools_district_sourced_id_key: 'sourcedId',
};

/** Maps a database error to the caller's error, once, for every service. */
export function toHttpError(error: unknown, entity: string): unknown {
  if (error instanceof HttpError) return error;
  if (errorName(error) === 'SequelizeUniqueConstraintError') {
    const constraint = (error as { parent?: { constraint?: string } }).parent?.constraint ?? '';
    const field = UNIQUE_FIELDS[constraint] ?? 'a unique field';
    return new ConflictError(`A ${entity} with this ${field} already exists.`, { cause: error });
  }
  if (isUnavailable(error)) return new ServiceUnavailableError(1, { cause: error });
  return error;
}
