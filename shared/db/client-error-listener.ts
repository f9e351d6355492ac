import pg from 'pg';

/**
 * pg emits 'error' on a client whose session ends while no statement of it runs (the server shutting down
 * or failing over, pg_terminate_backend, idle_session_timeout), and Node throws an 'error' event that has
 * no listener: in Lambda the container's process would crash. Every client the service creates has one
 * from its construction.
 */
class ClientEndedOnError extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    // Ended, the client is refused by Sequelize's pool check (its `validate`), so the pool drops it instead
    // of handing it to the next query; pg has already failed the queries it held.
    this.on('error', () => {
      this.end().catch(() => undefined);
    });
  }
}

/**
 * pg, for Sequelize's `dialectModule`, with clients that have an 'error' listener from their construction.
 * Works around Sequelize v6 adding its own listener only after the connect callback's promise has resumed
 * its caller: a FATAL message that arrives in the same packet as the login's last message (a server shut
 * down or a backend terminated just as the login completed) is emitted before that listener exists.
 * tests/resilience/terminated-sessions.test.ts fails the day that crash comes back.
 */
export const pgWithErrorListeners: typeof pg = { ...pg, Client: ClientEndedOnError };
