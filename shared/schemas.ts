import * as z from 'zod';
import { ROLES } from './roles';

/**
 * Request and response shapes, declared once: the handlers validate with them, the OpenAPI document and
 * the tests are built from them.
 */
export const Id = z.guid({ message: 'must be a UUID' });

const optional = <T extends z.ZodType>(schema: T) => schema.nullable().optional();

export const CreateUserBody = z.strictObject({
  firstName: z.string().trim().min(1).max(100),
  lastName: optional(z.string().trim().min(1).max(100)),
  email: optional(z.email().max(255)),
  userName: optional(z.string().trim().min(1).max(255)),
});
export type CreateUserInput = z.infer<typeof CreateUserBody>;

export const CreateSchoolBody = z.strictObject({
  name: z.string().trim().min(1).max(255),
  code: optional(z.string().trim().min(1).max(64)),
});
export type CreateSchoolInput = z.infer<typeof CreateSchoolBody>;

export const RoleSchema = z.enum(ROLES);

export const LinkBody = z.strictObject({ role: RoleSchema.optional() });
export type LinkInput = z.infer<typeof LinkBody>;

export const UserPath = z.object({ userId: Id });
export const SchoolPath = z.object({ schoolId: Id });
export const MembershipPath = z.object({ schoolId: Id, userId: Id });

export const UserSchema = z.object({
  userId: z.uuid(),
  firstName: z.string(),
  lastName: z.string().nullable(),
  email: z.string().nullable(),
  userName: z.string().nullable(),
  sourcedId: z.string().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type UserDto = z.infer<typeof UserSchema>;

export const SchoolSchema = z.object({
  schoolId: z.uuid(),
  name: z.string(),
  code: z.string().nullable(),
  sourcedId: z.string().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type SchoolDto = z.infer<typeof SchoolSchema>;
