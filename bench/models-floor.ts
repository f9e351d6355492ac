import { getUser } from '../shared/services/users';

/**
 * The cold-start floor of the service's design for `npm run bench`: what every function must load and do
 * for GET /users/{userId} with Sequelize and the models on the request path (the config, the shared
 * Sequelize instance, the model definitions, pg, the service), and nothing of the HTTP stack (middy,
 * authorization, validation, logger, metrics, route table). Bundled with the functions' esbuild options.
 */
export async function handler(event: { pathParameters?: Record<string, string> }) {
  const user = await getUser(event.pathParameters?.userId ?? '');
  return { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(user) };
}
