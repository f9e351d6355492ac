import type { MiddlewareObj, Request } from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logger } from '../logger';
import type { HttpEvent, HttpResult } from './types';

type HttpRequest = Request<HttpEvent, HttpResult>;

/**
 * One log line per request: the route template (never the raw path or query string, which may carry an
 * email), the status and the duration, under the Lambda and API Gateway request ids. Placed first in
 * the stack so that its after/onError run last, once the error handler has set the response. The event
 * itself is never logged, whatever POWERTOOLS_LOGGER_LOG_EVENT says.
 */
export function requestLogging(): MiddlewareObj<HttpEvent, HttpResult> {
  const lambdaContext = injectLambdaContext(logger, { resetKeys: true, logEvent: false });
  const started = new WeakMap<object, number>();
  const logOutcome = async (request: HttpRequest, phase: 'after' | 'onError') => {
    const statusCode = request.response?.statusCode ?? 500;
    const durationMs = Math.round(performance.now() - (started.get(request.context) ?? performance.now()));
    logger.info('request handled', { statusCode, durationMs });
    await lambdaContext[phase]?.(request);
  };
  return {
    before: async (request) => {
      started.set(request.context, performance.now());
      await lambdaContext.before?.(request);
      logger.appendKeys({ routeKey: request.event.routeKey, apiRequestId: request.event.requestContext?.requestId });
    },
    after: (request) => logOutcome(request, 'after'),
    onError: (request) => logOutcome(request, 'onError'),
  };
}
