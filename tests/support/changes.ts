import { handler as changes } from '../../functions/changes';
import { withClient } from './db';
import { invoke } from './events';

/** Empties the change feed (events, commits, the retention watermark) beside the roster tables. */
export async function resetChanges(): Promise<void> {
  await withClient((client) =>
    client.query(`TRUNCATE change_events, change_commits; UPDATE change_feed_state SET "prunedPosition" = 0, "prunedEventId" = 0`),
  );
}

/** One GET /changes page through the function, asserting it answered 200. */
export async function changesPage(query: Record<string, string> = {}) {
  const reply = await invoke(changes, { route: 'GET /changes', query });
  if (reply.status !== 200) throw new Error(`GET /changes answered ${reply.status}: ${JSON.stringify(reply.body)}`);
  return reply.body as { items: any[]; nextCursor: string };
}

/** Walks the feed from `after` (the start when absent) to its end; returns the events and the final cursor. */
export async function walkChanges(after?: string, limit = 100) {
  const events: any[] = [];
  let cursor = after;
  for (;;) {
    const page = await changesPage({ limit: String(limit), ...(cursor ? { after: cursor } : {}) });
    events.push(...page.items);
    cursor = page.nextCursor;
    if (page.items.length === 0) return { events, cursor };
  }
}

/** The events' `type entityId` pairs, the shape most assertions compare. */
export const typesOf = (events: any[]) => events.map((event) => `${event.type} ${event.entity.id}`);
