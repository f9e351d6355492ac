import { ValidationError } from '../errors';
import type { Precondition } from '../services/versions';
import type { HttpEvent } from './types';

/**
 * One element of an entity-tag list (RFC 9110 §8.8.3, §5.6.1): an optional weak prefix, a quoted string
 * of etagc characters (which may hold commas), then a comma or the end. Sticky: read one after another.
 */
const LIST_ITEM = /[ \t]*(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"[ \t]*(?:,|$)/y;

/**
 * The request's `If-Match` (RFC 9110 §13.1.1): undefined without one, `*` for any current record, else
 * the listed tags. Weak tags are dropped, since If-Match compares strongly: a list of only weak tags
 * matches nothing. A value that is no entity-tag list at all is a 400 naming the header.
 * @throws ValidationError when the header is not `*` or a list of entity-tags
 */
export function readIfMatch(event: HttpEvent): Precondition | undefined {
  const raw = event.headers?.['if-match'];
  if (raw === undefined) return undefined;
  const value = raw.trim();
  if (value === '*') return '*';
  const invalid = () => new ValidationError([{ path: 'If-Match', message: 'must be * or a list of entity tags ("...")' }], 'The If-Match header is not valid.');
  if (value === '') throw invalid();
  const tags: string[] = [];
  LIST_ITEM.lastIndex = 0;
  while (LIST_ITEM.lastIndex < value.length) {
    const match = LIST_ITEM.exec(value);
    if (!match) throw invalid();
    if (!match[1]) tags.push(`"${match[2]}"`);
  }
  return { tags };
}
