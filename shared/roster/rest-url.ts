/**
 * The base URL of a OneRoster REST rostering service, as SISs publish it: `https://host[/prefix]/ims/oneroster/v1p1`
 * (1.1) or `https://host[/prefix]/ims/oneroster/rostering/v1p2` (1.2), no query or fragment. The version
 * is read from it (shared/roster/oneroster-rest.ts). Kept apart so the HTTP bundles that validate a
 * district need none of the pull's code.
 */
const ONEROSTER_REST_BASE_URL = /^https?:\/\/[^\s/?#@]+(\/[^\s?#]*)?\/ims\/oneroster\/(v1p1|rostering\/v1p2)\/?$/;

/** Whether a roster source is a OneRoster REST base URL (rather than an S3 location, a folder or a zip). */
export function isOneRosterRestUrl(location: string): boolean {
  return ONEROSTER_REST_BASE_URL.test(location);
}
