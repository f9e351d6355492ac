import middy from '@middy/core';
import { pullRosterToBucket, type PullResult } from '../shared/roster/pull';

/**
 * Pulls one district's roster from its SIS's OneRoster REST service into the roster bucket and answers
 * where (docs/oneroster.md#how-the-pull-leaves-the-vpc). Runs outside the VPC, so it reaches the SIS
 * without a NAT gateway; only the sync function may invoke it. It reads only the districts' credentials
 * secrets and writes only the bucket's `pulls/` prefix; it never sees the database. SIS URLs are checked
 * (https, public addresses only) before and while connecting.
 */
export const handler = middy<unknown, PullResult>(async (event: unknown) => pullRosterToBucket(event));
