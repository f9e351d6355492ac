/** Issuer and audience of the development tokens that scripts/dev-auth.ts mints for the local API. */
export const LOCAL_ISSUER = 'school-roster-local';
export const LOCAL_AUDIENCE = 'school-roster';
