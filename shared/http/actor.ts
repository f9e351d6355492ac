import type { Actor } from '../changes/events';
import { callerOf } from './auth';
import type { HttpEvent } from './types';

/** The change events' actor of an API request: the caller its token names (issuer and subject), if any. */
export function actorOf(event: HttpEvent): Actor {
  return { kind: 'api', id: callerOf(event)?.subject ?? null };
}
