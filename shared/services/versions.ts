import { PreconditionFailedError } from '../errors';

/** A request's `If-Match`: `*` (any current record) or the entity-tags it names (weak ones already dropped). */
export type Precondition = '*' | { tags: readonly string[] };

/** A record with the strong ETag of the version it was read or written at (docs/lifecycle.md#etags-and-if-match). */
export interface Versioned<T> {
  record: T;
  etag: string;
}

/** The strong ETag of a row version (shared/db/statements.ts selects it as "version"). */
export const etagOf = (version: string) => `"${version}"`;

/**
 * Checks `If-Match` against the version of the row as it stands (read FOR UPDATE, so it cannot move
 * before the write). Without a precondition, or with `*` on a record that exists, the change applies.
 * @throws PreconditionFailedError when no listed tag is the record's current ETag
 */
export function checkPrecondition(what: string, version: string, precondition: Precondition | undefined): void {
  if (precondition === undefined || precondition === '*') return;
  if (!precondition.tags.includes(etagOf(version))) {
    throw new PreconditionFailedError(`${what} has changed since that version was read; read it again.`);
  }
}
