import type { Context } from 'aws-lambda';
import type { CredentialsProvider } from '../../shared/db/credentials';
import type { HttpHandler } from '../../shared/http/types';

type Handler = (event: any, context: Context) => Promise<unknown>;

/** What one simulated Lambda container loaded: its handlers and its own copy of the database module. */
export interface Container {
  createUser: Handler;
  createSchool: Handler;
  list: Handler;
  db: typeof import('../../shared/db/sequelize');
  /** A handler built on this container's middleware stack, for work the real functions never do (pg_sleep). */
  wrap(handler: HttpHandler): Handler;
}

function setEnv(values: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

/**
 * Loads the functions in a fresh module registry, as a new Lambda container would: its own config read
 * from `env` (an undefined value unsets the variable), its own Sequelize instance and pool, created with
 * `credentials` when given. Close it with `container.db.closeConnections()`.
 */
export function loadContainer(env: Record<string, string | undefined>, credentials?: CredentialsProvider): Container {
  const saved = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]));
  setEnv(env);
  let container: Container | undefined;
  try {
    jest.isolateModules(() => {
      const { httpHandler } = require('../../shared/http/handler') as typeof import('../../shared/http/handler');
      container = {
        createUser: require('../../functions/create-user').handler,
        createSchool: require('../../functions/create-school').handler,
        list: require('../../functions/list').handler,
        db: require('../../shared/db/sequelize'),
        wrap: (handler) => httpHandler(handler) as Handler,
      };
      // Sequelize requires its dialect when the instance is created: inside the isolated registry, or
      // the dialect's errors would be another registry's classes.
      if (credentials) container.db.initSequelize(credentials);
      else container.db.getSequelize();
    });
  } finally {
    setEnv(saved);
  }
  return container!;
}
