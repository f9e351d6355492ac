/*
 * A district's `syncSchedule`: a rate or cron expression as EventBridge accepts it
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html), in UTC.
 * - `rate(1 day)`, `rate(6 hours)`, `rate(30 minutes)`: a positive whole number, the unit singular for
 *   1 and plural otherwise;
 * - `cron(minutes hours day-of-month month day-of-week year)`: six fields; day-of-week counts 1-7 from
 *   Sunday; one of day-of-month and day-of-week is `?`.
 * The fields' grammar is checked here, with no dependency (every HTTP function loads the schemas); when
 * an expression next falls due is cron-parser's to say (shared/roster/next-sync.ts). cron-parser has no
 * `W` (nearest weekday), so an expression using it is refused with that reason.
 */

export const RATE = /^rate\((?:(1) (minute|hour|day)|([2-9]|[1-9]\d{1,5}) (minutes|hours|days))\)$/;
export const CRON = /^cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)$/;

const MONTHS = 'JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC';
const DAYS = 'SUN|MON|TUE|WED|THU|FRI|SAT';

/** One field's grammar: its values' range or names, and its extra wildcards. */
interface Field {
  name: string;
  min: number;
  max: number;
  names?: string;
}
const FIELDS: Field[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day-of-week', min: 1, max: 7, names: DAYS },
  { name: 'year', min: 1970, max: 2199 },
];

/** A value of `field`: a number in its range or one of its names. */
function fieldValue(field: Field, text: string): number | null {
  if (/^\d+$/.test(text)) {
    const value = Number(text);
    return value >= field.min && value <= field.max ? value : null;
  }
  const index = field.names?.split('|').indexOf(text.toUpperCase()) ?? -1;
  return index >= 0 ? index + field.min : null;
}

/** Why one comma-separated item of a field is refused, or null when EventBridge accepts it. */
function itemProblem(field: Field, item: string): string | null {
  if (field.name === 'day-of-month' && /^(\d+W|LW)$/.test(item)) return 'the W wildcard (nearest weekday) is not supported';
  if (field.name === 'day-of-month' && item === 'L') return null;
  if (field.name === 'day-of-week') {
    if (item === 'L') return null;
    const last = /^(.+)L$/.exec(item);
    if (last) return fieldValue(field, last[1]) === null ? 'is not a day of the week' : null;
    const nth = /^(.+)#([1-5])$/.exec(item);
    if (nth) return fieldValue(field, nth[1]) === null ? 'is not a day of the week' : null;
  }
  const [range, step, extra] = item.split('/');
  if (extra !== undefined || (step !== undefined && !/^[1-9]\d*$/.test(step))) return 'has a bad increment';
  if (range === '*') return null;
  const bounds = range.split('-');
  if (bounds.length > 2) return 'has a bad range';
  const values = bounds.map((bound) => fieldValue(field, bound));
  if (values.some((value) => value === null)) return `must be ${field.min}-${field.max}${field.names ? ` or ${field.names.split('|')[0]}-${field.names.split('|').at(-1)}` : ''}`;
  return null;
}

function fieldProblem(field: Field, text: string): string | null {
  if (text === '?') return field.name === 'day-of-month' || field.name === 'day-of-week' ? null : "'?' is only for day-of-month or day-of-week";
  if (field.name === 'day-of-week' && text.includes('#') && text.includes(',')) return "a '#' item cannot be listed with others";
  for (const item of text.split(',')) {
    const problem = itemProblem(field, item);
    if (problem) return problem;
  }
  return null;
}

/**
 * Why `expression` is not a schedule EventBridge accepts (or one this service cannot follow), or null
 * when it is one.
 */
export function scheduleProblem(expression: string): string | null {
  if (expression.startsWith('rate(')) return RATE.test(expression) ? null : 'must be rate(<n> minute|minutes|hour|hours|day|days), the unit singular for 1 only';
  const cron = CRON.exec(expression);
  if (!cron) return 'must be rate(...) or cron(...) with six fields: minutes hours day-of-month month day-of-week year';
  const fields = cron.slice(1);
  for (const [index, field] of FIELDS.entries()) {
    const problem = fieldProblem(field, fields[index]);
    if (problem) return `cron ${field.name} ${problem}`;
  }
  if ((fields[2] === '?') === (fields[4] === '?')) return 'cron needs ? in exactly one of day-of-month and day-of-week';
  return null;
}
