import net from 'node:net';

/**
 * A loopback TCP proxy in front of Postgres that can break its connections the way a NAT gateway or an
 * idle-timeout does while a Lambda container is frozen: the server side is gone, the client is not told,
 * and its next write is answered with a reset (ECONNRESET).
 */
export interface BreakableProxy {
  port: number;
  /** Silently breaks every open connection; new connections work normally. */
  breakOpenConnections(): void;
  close(): Promise<void>;
}

export async function createBreakableProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<BreakableProxy> {
  const open = new Set<{ client: net.Socket; upstream: net.Socket; broken: boolean }>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, targetHost);
    const pair = { client, upstream, broken: false };
    open.add(pair);
    client.on('data', (chunk) => {
      if (pair.broken) client.resetAndDestroy();
      else upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!pair.broken) client.write(chunk);
    });
    const forget = () => {
      open.delete(pair);
      if (!pair.broken) client.destroy();
      upstream.destroy();
    };
    client.on('close', forget).on('error', forget);
    upstream.on('close', () => !pair.broken && forget()).on('error', () => !pair.broken && forget());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    breakOpenConnections() {
      for (const pair of open) {
        pair.broken = true;
        pair.upstream.destroy();
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const pair of open) pair.client.destroy();
        server.close(() => resolve());
      }),
  };
}
