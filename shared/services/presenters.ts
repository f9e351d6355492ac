import type { School } from '../models/school';
import type { User } from '../models/user';
import type { SchoolDto, UserDto } from '../schemas';

export type UserRow = Pick<User, 'userId' | 'firstName' | 'lastName' | 'email' | 'userName' | 'sourcedId' | 'createdAt' | 'updatedAt'>;
export type SchoolRow = Pick<School, 'schoolId' | 'name' | 'code' | 'sourcedId' | 'districtId' | 'createdAt' | 'updatedAt'>;

/** The columns a user response shows; reads select exactly these. */
export const USER_ATTRIBUTES = ['userId', 'firstName', 'lastName', 'email', 'userName', 'sourcedId', 'createdAt', 'updatedAt'] as const;
export const SCHOOL_ATTRIBUTES = ['schoolId', 'name', 'code', 'sourcedId', 'districtId', 'createdAt', 'updatedAt'] as const;

export function toUserDto(user: UserRow): UserDto {
  return {
    userId: user.userId,
    firstName: user.firstName,
    lastName: user.lastName ?? null,
    email: user.email ?? null,
    userName: user.userName ?? null,
    sourcedId: user.sourcedId ?? null,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
  };
}

export function toSchoolDto(school: SchoolRow): SchoolDto {
  return {
    schoolId: school.schoolId,
    name: school.name,
    code: school.code ?? null,
    sourcedId: school.sourcedId ?? null,
    districtId: school.districtId ?? null,
    createdAt: school.createdAt.toISOString(),
    updatedAt: school.updatedAt.toISOString(),
  };
}
