import net from 'node:net';

/**
 * A loopback TCP proxy in front of Postgres that can break its connections the way a NAT gateway or an
 * idle-timeout does while a Lambda container is frozen: the server side is gone, the client is not told,
 * and its next write is answered with a reset (ECONNRESET). It can also end a session the way a server
 * shutting down does at the worst moment, just as a login completes.
 */
export interface BreakableProxy {
  port: number;
  /** Silently breaks every open connection; new connections work normally. */
  breakOpenConnections(): void;
  /**
   * The next connection's login completes, and in the same packet as its ReadyForQuery comes the FATAL
   * 57P01 a backend sends when the server shuts down; then the connection closes.
   */
  terminateNextLogin(): void;
  /** How many logins terminateNextLogin has ended so far. */
  readonly terminatedLogins: number;
  close(): Promise<void>;
}

/** The ErrorResponse of a backend terminated by the administrator (pg_ctl stop -m fast, pg_terminate_backend). */
function adminShutdownMessage(): Buffer {
  const fields = Buffer.from('SFATAL\0VFATAL\0C57P01\0Mterminating connection due to administrator command\0\0');
  const header = Buffer.alloc(5);
  header.write('E');
  header.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([header, fields]);
}

/**
 * Splits the server's bytes into whole messages (a type byte and a length): where the first ReadyForQuery
 * ('Z') ends, or -1 and where the whole messages before any ReadyForQuery end.
 */
function splitAtReadyForQuery(bytes: Buffer): { readyEnd: number; wholeEnd: number } {
  let at = 0;
  while (at + 5 <= bytes.length) {
    const end = at + 1 + bytes.readInt32BE(at + 1);
    if (end > bytes.length) break;
    if (bytes[at] === 'Z'.charCodeAt(0)) return { readyEnd: end, wholeEnd: end };
    at = end;
  }
  return { readyEnd: -1, wholeEnd: at };
}

export async function createBreakableProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<BreakableProxy> {
  const open = new Set<{ client: net.Socket; upstream: net.Socket; broken: boolean }>();
  let terminateNext = false;
  let terminatedLogins = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, targetHost);
    const pair = { client, upstream, broken: false };
    open.add(pair);
    // The login's messages pass as they come (a password login is a dialogue); its ReadyForQuery is held
    // until whole, so that it and the FATAL leave in one write.
    let login: Buffer | undefined = terminateNext ? Buffer.alloc(0) : undefined;
    terminateNext = false;
    client.on('data', (chunk) => {
      if (pair.broken) client.resetAndDestroy();
      else upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (pair.broken) return;
      if (!login) {
        client.write(chunk);
        return;
      }
      login = Buffer.concat([login, chunk]);
      const { readyEnd, wholeEnd } = splitAtReadyForQuery(login);
      if (readyEnd < 0) {
        client.write(login.subarray(0, wholeEnd));
        login = login.subarray(wholeEnd);
        return;
      }
      client.end(Buffer.concat([login.subarray(0, readyEnd), adminShutdownMessage()]));
      upstream.destroy();
      terminatedLogins++;
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
    terminateNextLogin() {
      terminateNext = true;
    },
    get terminatedLogins() {
      return terminatedLogins;
    },
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
