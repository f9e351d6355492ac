import { randomUUID } from 'node:crypto';
import pg from 'pg';

/**
 * The cold-start baseline of `npm run bench`: a Lambda handler doing each measured route's work with
 * `pg` alone (one client, opened on first use and kept, the statements the service runs, JSON out), with
 * no middleware, validation, ORM or logger. Bundled with the same esbuild options as the functions.
 */
let client: Promise<pg.Client> | undefined;

function connect(): Promise<pg.Client> {
  client ??= (async () => {
    const c = new pg.Client({ connectionString: process.env.DATABASE_URL, application_name: 'school-roster-bare', statement_timeout: 5000 });
    await c.connect();
    return c;
  })();
  return client;
}

const USER_COLUMNS = `"userId", "firstName", "lastName", "email", "userName", "sourcedId", "createdAt", "updatedAt"`;
const SCHOOL_COLUMNS = `"schoolId", "name", "code", "sourcedId", "createdAt", "updatedAt"`;

interface Event {
  routeKey: string;
  pathParameters?: Record<string, string>;
  body?: string;
}

const json = (statusCode: number, body: unknown) => ({ statusCode, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

export async function handler(event: Event) {
  const db = await connect();
  const body = event.body ? (JSON.parse(event.body) as Record<string, string | undefined>) : {};
  switch (event.routeKey) {
    case 'POST /users': {
      const { rows } = await db.query(
        `INSERT INTO users ("userId", "firstName", "lastName", "email", "userName", "createdAt", "updatedAt")
         VALUES ($1, $2, $3, $4, $5, now(), now()) RETURNING ${USER_COLUMNS}`,
        [randomUUID(), body.firstName, body.lastName ?? null, body.email ?? null, body.userName ?? null],
      );
      return json(201, rows[0]);
    }
    case 'POST /schools': {
      const { rows } = await db.query(
        `INSERT INTO schools ("schoolId", "name", "code", "createdAt", "updatedAt") VALUES ($1, $2, $3, now(), now()) RETURNING ${SCHOOL_COLUMNS}`,
        [randomUUID(), body.name, body.code ?? null],
      );
      return json(201, rows[0]);
    }
    case 'PUT /schools/{schoolId}/users/{userId}': {
      const { schoolId, userId } = event.pathParameters ?? {};
      const { rows } = await db.query(
        `WITH live AS (SELECT u."userId", s."schoolId" FROM users u CROSS JOIN schools s
           WHERE u."userId" = $1 AND u."deletedAt" IS NULL AND s."schoolId" = $2 AND s."deletedAt" IS NULL FOR SHARE OF u, s)
         INSERT INTO user_schools ("userUserId", "schoolSchoolId", "source", "role") SELECT "userId", "schoolId", 'api', $3 FROM live
         ON CONFLICT ("userUserId", "schoolSchoolId") DO UPDATE SET "role" = EXCLUDED."role"
         RETURNING "userUserId" AS "userId", "schoolSchoolId" AS "schoolId", "role", "source", "createdAt", "updatedAt", (xmax = 0) AS "inserted"`,
        [userId, schoolId, body.role ?? 'teacher'],
      );
      const { inserted, ...membership } = rows[0] as { inserted: boolean };
      return json(inserted ? 201 : 200, membership);
    }
    case 'GET /users/{userId}': {
      const { rows } = await db.query(`SELECT ${USER_COLUMNS} FROM users WHERE "userId" = $1 AND "deletedAt" IS NULL`, [event.pathParameters?.userId]);
      return rows.length ? json(200, rows[0]) : json(404, { title: 'Not Found' });
    }
    default:
      return json(404, { title: 'Not Found' });
  }
}
