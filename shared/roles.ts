/** OneRoster 1.2's roles plus `guestLecturer` (docs/data-model.md#roles). */
export const ROLES = [
  'administrator',
  'aide',
  'counselor',
  'districtAdministrator',
  'guardian',
  'guestLecturer',
  'parent',
  'principal',
  'proctor',
  'relative',
  'siteAdministrator',
  'student',
  'systemAdministrator',
  'teacher',
] as const;

export type Role = (typeof ROLES)[number];

export const LINK_SOURCES = ['api', 'roster'] as const;
export type LinkSource = (typeof LINK_SOURCES)[number];
