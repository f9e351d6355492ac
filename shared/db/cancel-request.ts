import pg from 'pg';

/** pg's protocol-level connection, whose `connect` and `cancel` @types/pg does not declare. */
type ProtocolConnection = pg.Connection & { connect(port: number, host: string): void; cancel(processId: number, secretKey: number): void };

/** Gives up on an unanswered cancel after this long: the connection is destroyed anyway. */
const CANCEL_WAIT_MS = 1000;

/** What a CancelRequest needs of a connected `pg` client, read from fields @types/pg does not declare. */
function cancelKeyOf(client: object): { processId: number; secretKey: number; host: string; port: number } | undefined {
  const processId: unknown = Reflect.get(client, 'processID');
  const secretKey: unknown = Reflect.get(client, 'secretKey');
  const params: unknown = Reflect.get(client, 'connectionParameters');
  const host: unknown = params && Reflect.get(params, 'host');
  const port: unknown = params && Reflect.get(params, 'port');
  if (typeof processId !== 'number' || typeof secretKey !== 'number' || typeof host !== 'string' || typeof port !== 'number') return undefined;
  return { processId, secretKey, host, port };
}

/**
 * Asks the server to stop the statement running on `client` (the protocol's CancelRequest, sent on a new
 * socket, no login needed): works around pg having no public cancel for a client whose query it does not
 * hold. Relies on pg's `processID`, `secretKey` and `connectionParameters` fields and its `Connection`
 * class; tests/resilience/library-behaviour.test.ts fails the day pg changes them.
 */
export function cancelRunningStatement(client: object): Promise<void> {
  const key = cancelKeyOf(client);
  if (!key) return Promise.resolve();
  return new Promise((resolve) => {
    const connection = new pg.Connection() as ProtocolConnection;
    const done = () => resolve();
    connection.once('error', done).once('end', done);
    connection.once('connect', () => {
      connection.cancel(key.processId, key.secretKey);
      connection.end();
    });
    connection.connect(key.port, key.host);
    setTimeout(done, CANCEL_WAIT_MS).unref();
  });
}
