import { NotFoundError } from '../errors';
import type { HttpEvent, HttpHandler } from './types';

/**
 * Dispatches on API Gateway's `routeKey` ("GET /users/{userId}") for a function that serves several
 * routes. An unknown key can only come from a mis-wired deployment; it answers 404, not 500.
 */
export function routeByKey(routes: Record<string, HttpHandler>): HttpHandler {
  return (event: HttpEvent, context) => {
    const route = routes[event.routeKey];
    if (!route) throw new NotFoundError(`No route ${event.routeKey}.`);
    return route(event, context);
  };
}
