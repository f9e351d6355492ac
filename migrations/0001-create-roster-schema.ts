import type { Migration } from './types';
import { ROLES } from '../shared/roles';

const roleList = ROLES.map((role) => `'${role}'`).join(', ');

/**
 * The schema of docs/data-model.md. Defaults live in the database (uuid keys, timestamps, role, source) so that code
 * inserting a link with only its two keys, as the original models do, still works.
 */
export const createRosterSchema: Migration = {
  name: '0001-create-roster-schema',
  async up({ context: sequelize }) {
    await sequelize.query(`
      CREATE TABLE users (
        "userId"    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        "firstName" varchar(100) NOT NULL CHECK (btrim("firstName") <> ''),
        "lastName"  varchar(100),
        "email"     varchar(255),
        "userName"  varchar(255),
        "sourcedId" varchar(255),
        "createdAt" timestamptz NOT NULL DEFAULT now(),
        "updatedAt" timestamptz NOT NULL DEFAULT now(),
        "deletedAt" timestamptz
      );
      CREATE UNIQUE INDEX users_email_live_key ON users (lower("email")) WHERE "deletedAt" IS NULL;
      CREATE UNIQUE INDEX users_user_name_live_key ON users ("userName") WHERE "deletedAt" IS NULL;
      CREATE UNIQUE INDEX users_sourced_id_key ON users ("sourcedId");

      CREATE TABLE schools (
        "schoolId"  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        "name"      varchar(255) NOT NULL CHECK (btrim("name") <> ''),
        "code"      varchar(64),
        "sourcedId" varchar(255),
        "createdAt" timestamptz NOT NULL DEFAULT now(),
        "updatedAt" timestamptz NOT NULL DEFAULT now(),
        "deletedAt" timestamptz
      );
      CREATE UNIQUE INDEX schools_code_live_key ON schools ("code") WHERE "deletedAt" IS NULL;
      CREATE UNIQUE INDEX schools_sourced_id_key ON schools ("sourcedId");

      CREATE TABLE user_schools (
        "userSchoolId"   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        "userUserId"     uuid NOT NULL REFERENCES users ("userId") ON DELETE CASCADE ON UPDATE CASCADE,
        "schoolSchoolId" uuid NOT NULL REFERENCES schools ("schoolId") ON DELETE CASCADE ON UPDATE CASCADE,
        "role"           varchar(32) NOT NULL DEFAULT 'teacher' CHECK ("role" IN (${roleList})),
        "source"         varchar(16) NOT NULL DEFAULT 'api' CHECK ("source" IN ('api', 'roster')),
        "createdAt"      timestamptz NOT NULL DEFAULT now(),
        "updatedAt"      timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT user_schools_user_school_key UNIQUE ("userUserId", "schoolSchoolId")
      );
      -- The unique pair serves "schools of a user"; this one serves "users of a school".
      CREATE INDEX user_schools_school_user_idx ON user_schools ("schoolSchoolId", "userUserId");
    `);
  },
  async down({ context: sequelize }) {
    await sequelize.query('DROP TABLE user_schools; DROP TABLE schools; DROP TABLE users;');
  },
};
