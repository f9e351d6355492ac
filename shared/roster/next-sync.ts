import { parseExpression } from 'cron-parser';
import { CRON, RATE } from './schedule';

const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

/** EventBridge counts days of the week 1-7 from Sunday, cron-parser 0-6: every number moves down by one. */
const toCronParserDays = (field: string) => field.replace(/\d+/g, (day, offset: number, whole: string) => (whole[offset - 1] === '#' ? day : String(Number(day) - 1)));

/** The years a cron year field allows, as a test. */
function yearTest(field: string): (year: number) => boolean {
  if (field === '*') return () => true;
  const items = field.split(',').map((item) => {
    const [range, step] = item.split('/');
    const [from, to] = range === '*' ? [1970, 2199] : range.split('-').map(Number);
    return { from, to: to ?? (step ? 2199 : from), step: Number(step ?? 1) };
  });
  return (year) => items.some(({ from, to, step }) => year >= from && year <= to && (year - from) % step === 0);
}

/**
 * When a schedule next falls due after `after`: for a rate, `after` plus the rate (the first run of a
 * new schedule is at once: the caller passes the creation time minus the rate, or uses `now`); for a
 * cron, its next time strictly after `after`, in UTC. Null when a cron expression never falls due again.
 */
export function nextSyncTime(expression: string, after: Date): Date | null {
  const rate = RATE.exec(expression);
  if (rate) {
    const count = Number(rate[1] ?? rate[3]);
    const unit = (rate[2] ?? rate[4]).replace(/s$/, '') as keyof typeof UNIT_MS;
    return new Date(after.getTime() + count * UNIT_MS[unit]);
  }
  const cron = CRON.exec(expression);
  if (!cron) throw new Error('not a schedule expression');
  const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = cron.slice(1);
  const inYear = yearTest(year);
  const times = parseExpression(`0 ${minutes} ${hours} ${dayOfMonth} ${month} ${dayOfWeek === '?' ? '?' : toCronParserDays(dayOfWeek)}`, {
    currentDate: after,
    endDate: new Date(Date.UTC(2200, 0, 1)),
    utc: true,
  });
  while (times.hasNext()) {
    const next = times.next().toDate();
    if (inYear(next.getUTCFullYear())) return next;
    // A year the field leaves out: jump to its end rather than step through its every time.
    if (next.getUTCFullYear() >= 2199) return null;
    times.reset(new Date(Date.UTC(next.getUTCFullYear() + 1, 0, 1) - 1));
  }
  return null;
}
