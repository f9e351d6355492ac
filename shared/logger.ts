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
const REDACTED = '[redacted]';

/** Removes email addresses and JWTs from free text such as an error message. */
export function scrub(text: string): string {
  return text.replace(EMAIL, REDACTED).replace(JWT, REDACTED);
}

function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrub(value);
  if (value === null || typeof value !== 'object') return value;
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
}

/**
 * The service's one logger: JSON lines carrying the Lambda request id (`function_request_id`) once the
 * handler stack has injected the context. The level comes from POWERTOOLS_LOG_LEVEL (default INFO).
 */
export const logger = new Logger({ serviceName: 'school-roster', logFormatter: new RedactingLogFormatter() });
