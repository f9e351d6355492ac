import { handler as createSchool } from '../../functions/create-school';
import { handler as createUser } from '../../functions/create-user';
import { withClient } from './db';
import { invoke } from './events';

/** Creates a user through the API and returns the response body. */
export async function apiUser(body: Record<string, unknown>) {
  const reply = await invoke(createUser, { route: 'POST /users', body });
  if (reply.status !== 201) throw new Error(`POST /users answered ${reply.status}: ${JSON.stringify(reply.body)}`);
  return reply.body;
}

/** Creates a school through the API and returns the response body. */
export async function apiSchool(body: Record<string, unknown>) {
  const reply = await invoke(createSchool, { route: 'POST /schools', body });
  if (reply.status !== 201) throw new Error(`POST /schools answered ${reply.status}: ${JSON.stringify(reply.body)}`);
  return reply.body;
}

export function softDelete(table: 'users' | 'schools', id: string) {
  const key = table === 'users' ? 'userId' : 'schoolId';
  return withClient((c) => c.query(`UPDATE ${table} SET "deletedAt" = now() WHERE "${key}" = $1`, [id]));
}

/** Every link row, as stored. */
export function linkRows() {
  return withClient(
    async (c) =>
      (await c.query('SELECT "userUserId", "schoolSchoolId", "role", "source", "createdAt", "updatedAt" FROM user_schools ORDER BY "createdAt"'))
        .rows,
  );
}
