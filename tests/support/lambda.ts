import http from 'node:http';
import type { AddressInfo } from 'node:net';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

export interface FakeLambda {
  endpoint: string;
  /** Each invocation's function name, in order. */
  log: string[];
  close(): Promise<void>;
}

/**
 * A stand-in for the Lambda Invoke API on 127.0.0.1 (`POST /2015-03-31/functions/{name}/invocations`,
 * RequestResponse): runs the named handler in this process and answers its result, or, when it throws,
 * the `X-Amz-Function-Error: Unhandled` answer Lambda gives. The real SDK client reaches it through
 * LAMBDA_ENDPOINT, as it reaches the VPC's Lambda endpoint when deployed.
 */
export async function startFakeLambda(functions: Record<string, Handler>): Promise<FakeLambda> {
  const log: string[] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', async () => {
      const name = decodeURIComponent(/^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(request.url ?? '')?.[1] ?? '');
      log.push(name);
      const handler = functions[name];
      if (!handler) {
        response.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' });
        return response.end(JSON.stringify({ Type: 'User', message: `Function not found: ${name}` }));
      }
      try {
        const result = await handler(JSON.parse(body || 'null'), { functionName: name, getRemainingTimeInMillis: () => 300_000 });
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(result ?? null));
      } catch (error) {
        response.writeHead(200, { 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' });
        response.end(JSON.stringify({ errorType: (error as Error).name, errorMessage: (error as Error).message }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    log,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
