import dns from 'node:dns';
import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Outbound requests to addresses a caller chose (a district's SIS, a webhook receiver) must not reach
 * the service's own network: loopback, private, link-local (the cloud metadata service at 169.254.169.254),
 * unique-local (its IPv6 twin fd00:ec2::254), carrier-grade NAT and every other special-purpose range.
 * Only global unicast passes; ipaddr.js keeps the IANA registries, and reads IPv4-mapped IPv6
 * (::ffff:127.0.0.1) as the IPv4 address it carries.
 */
export class UnsafeAddressError extends Error {
  override readonly name = 'UnsafeAddressError';
}

const METADATA = new Set(['169.254.169.254', 'fd00:ec2::254']);

/** The reason an address is refused (its range), or null for a global unicast address. */
export function refusedRange(address: string): string | null {
  if (!ipaddr.isValid(address)) return 'not an IP address';
  const parsed = ipaddr.process(address);
  const normal = parsed.toNormalizedString();
  if (METADATA.has(normal) || METADATA.has(parsed.toString())) return 'cloud metadata';
  const range = parsed.range();
  return range === 'unicast' ? null : range;
}

function check(host: string, addresses: readonly string[]): void {
  for (const address of addresses) {
    const range = refusedRange(address);
    if (range) throw new UnsafeAddressError(`${host} resolves to a ${range} address; only public addresses may be reached`);
  }
}

type Resolve = (host: string) => Promise<string[]>;

const resolveAll: Resolve = async (host) => (await dns.promises.lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);

export interface UrlCheckOptions {
  /** Deployed, only https to public addresses; locally (tests, a SIS double on loopback) anything goes. */
  deployed: boolean;
  /** Resolves a host name to its addresses; node:dns by default. */
  resolve?: Resolve;
}

/**
 * Checks, before anything is sent, that a URL may be reached: deployed, it must be https and every address
 * its host resolves to must be public. A URL is also refused for carrying credentials.
 * @throws UnsafeAddressError naming the host and the range refused.
 */
export async function assertReachableUrl(url: string, { deployed, resolve = resolveAll }: UrlCheckOptions): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UnsafeAddressError('not an absolute URL');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new UnsafeAddressError(`${parsed.protocol} URLs are not fetched`);
  if (parsed.username || parsed.password) throw new UnsafeAddressError('a URL must not carry credentials');
  if (!deployed) return;
  if (parsed.protocol !== 'https:') throw new UnsafeAddressError(`${parsed.host}: only https URLs are reached when deployed`);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  check(host, ipaddr.isValid(host) ? [host] : await resolve(host));
}

/**
 * A `lookup` for node:http(s) requests that refuses unsafe addresses at connect time, on the very address
 * the socket then connects to: a host that resolved to a public address for assertReachableUrl and to a
 * private one a moment later (DNS rebinding) is refused here.
 */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dns.lookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, '', 0);
    try {
      check(hostname, addresses.map((entry) => entry.address));
    } catch (refusal) {
      return callback(refusal as NodeJS.ErrnoException, '', 0);
    }
    if (options.all) return (callback as unknown as (e: null, all: LookupAddress[]) => void)(null, addresses);
    return callback(null, addresses[0].address, addresses[0].family);
  });
};
