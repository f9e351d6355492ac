import { LogFormatter, LogItem, Logger } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';

/**
 * Keys whose values are personal data or credentials wherever they appear in a log entry. The service
 * never logs them on purpose; this is the net under that rule (a roster holds children's names).
 */
const SENSITIVE_KEY =
  /^(e-?mail|emails|first_?name|last_?name|given_?name|family_?name|full_?name|user_?name|name|authorization|cookies?|token|access_?token|id_?token|password|secret|body|sql|bind|parameters|query|q|raw_?query_?string|query_?string_?parameters|headers|event|claims)$/i;
const EMAIL = /[^\s"'<>(),;:]+@[^\s"'<>(),;:]+\.[A-Za-z]{2,}/g;
const JWT = /\beyJ[\w-]+\.[\w-]+\.[\w-]*/g;
export const REDACTED = '[redacted]';

/** Removes email addresses and JWTs from free text such as an error message. */
export function scrub(text: string): string {
  return text.replace(EMAIL, REDACTED).replace(JWT, REDACTED);
}

/** What a database error may say of itself: names and codes, never a value (pg's `detail`, `hint`, `where` can quote one). */
const DATABASE_ERROR_FIELDS = ['severity', 'schema', 'table', 'column', 'dataType', 'constraint', 'routine'] as const;
const MAX_STACK_FRAMES = 10;
const MAX_CAUSES = 3;

/** pg's DatabaseError (name `error`, with a severity), or the driver's error a Sequelize error wraps in `parent`. */
function databaseErrorOf(error: Error): object | undefined {
  const parent: unknown = Reflect.get(error, 'parent');
  if (parent instanceof Error) return parent;
  if (typeof Reflect.get(error, 'severity') === 'string' && typeof Reflect.get(error, 'code') === 'string') return error;
  return undefined;
}

/**
 * The one way an error reaches a log line: its class, codes and stack frames, which say what failed and
 * where, and nothing that can quote a caller's or a roster's value. A database or Sequelize error keeps
 * its SQLSTATE, severity and the names of the constraint, table and column, and loses its message (`invalid
 * input syntax ...: "ada@example.org"`), pg's `detail` (`Key (email)=(...)`), its `sql` and bound values.
 * Any other error keeps its message with emails and tokens scrubbed. Stack frames only: the stack's first
 * line repeats the message.
 */
export function describeError(error: Error, causes = 0): Record<string, unknown> {
  const database = databaseErrorOf(error);
  const sqlState: unknown = database && Reflect.get(database, 'code');
  const code: unknown = Reflect.get(error, 'code') ?? sqlState;
  const frames = error.stack
    ?.split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('at '))
    .slice(0, MAX_STACK_FRAMES)
    .map(scrub);
  const described: Record<string, unknown> = { name: error.name, ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}) };
  if (database) {
    if (typeof sqlState === 'string') described.sqlState = sqlState;
    for (const field of DATABASE_ERROR_FIELDS) {
      const value: unknown = Reflect.get(database, field);
      if (typeof value === 'string') described[field] = value;
    }
  } else if (!error.name.startsWith('Sequelize')) {
    described.message = scrub(error.message);
  }
  described.stack = frames;
  if (error.cause instanceof Error && causes < MAX_CAUSES) described.cause = describeError(error.cause, causes + 1);
  return described;
}

export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrub(value);
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return describeError(value);
  if (depth > 8) return REDACTED;
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [key, SENSITIVE_KEY.test(key) ? REDACTED : redact(item, depth + 1)]),
  );
}

/** Powertools' standard JSON keys, with `redact` applied to the message and every added attribute. */
class RedactingLogFormatter extends LogFormatter {
  override formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    const base = {
      level: attributes.logLevel,
      message: scrub(attributes.message),
      timestamp: this.formatTimestamp(attributes.timestamp),
      service: attributes.serviceName,
      cold_start: attributes.lambdaContext?.coldStart,
      function_name: attributes.lambdaContext?.functionName,
      function_request_id: attributes.lambdaContext?.awsRequestId,
      xray_trace_id: attributes.xRayTraceId,
    };
    return new LogItem({ attributes: base }).addAttributes(redact(additional) as LogAttributes);
  }

  /** Powertools' hook for an Error met while serialising; `redact` has already replaced those it reached. */
  override formatError(error: Error): LogAttributes {
    return describeError(error);
  }
}

/**
 * The service's one logger: JSON lines carrying the Lambda request id (`function_request_id`) once the
 * handler stack has injected the context. The level comes from POWERTOOLS_LOG_LEVEL (default INFO).
 */
export const logger = new Logger({ serviceName: 'school-roster', logFormatter: new RedactingLogFormatter() });
