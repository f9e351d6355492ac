import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { assertReachableUrl, publicOnlyLookup, refusedRange, UnsafeAddressError } from '../../shared/net/address-guard';

describe('refusedRange', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.8.9.10', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.10.20', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['fc00::1', 'uniqueLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.127.255.254', 'carrierGradeNat'],
    ['169.254.169.254', 'cloud metadata'],
    ['fd00:ec2::254', 'cloud metadata'],
    ['fd00:ec2:0:0:0:0:0:254', 'cloud metadata'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'cloud metadata'],
    ['::ffff:a9fe:a9fe', 'cloud metadata'],
    ['::ffff:100.64.0.1', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['64:ff9b::a00:1', 'rfc6052'],
    ['2002:a00:1::', '6to4'],
    ['localhost', 'not an IP address'],
  ])('refuses %s (%s)', (address, range) => {
    expect(refusedRange(address)).toBe(range);
  });

  it.each(['8.8.8.8', '93.184.215.14', '2606:4700::1111', '::ffff:8.8.8.8', '172.32.0.1', '100.128.0.1'])('lets the public address %s pass', (address) => {
    expect(refusedRange(address)).toBeNull();
  });
});

describe('assertReachableUrl', () => {
  const publicOnly = async () => ['93.184.215.14'];

  it('lets a deployed service reach an https URL whose host resolves to public addresses only', async () => {
    await expect(assertReachableUrl('https://sis.example/ims/oneroster/v1p1', { deployed: true, resolve: publicOnly })).resolves.toBeUndefined();
  });

  it.each([
    ['plain http', 'http://sis.example/', publicOnly, /only https URLs/],
    ['a private IP literal', 'https://10.0.0.5/oneroster', publicOnly, /10\.0\.0\.5 resolves to a private address/],
    ['the metadata service', 'https://169.254.169.254/latest/', publicOnly, /cloud metadata/],
    ['an IPv6 metadata literal', 'https://[fd00:ec2::254]/', publicOnly, /cloud metadata/],
    ['an IPv4-mapped loopback literal', 'https://[::ffff:127.0.0.1]/', publicOnly, /loopback/],
    ['a host with one private address among public ones', 'https://sis.example/', async () => ['93.184.215.14', '192.168.0.10'], /sis\.example resolves to a private address/],
    ['a host resolving to a mapped private address', 'https://sis.example/', async () => ['::ffff:10.1.1.1'], /private/],
  ])('refuses %s when deployed', async (_case, url, resolve, message) => {
    await expect(assertReachableUrl(url, { deployed: true, resolve })).rejects.toThrow(message);
    await expect(assertReachableUrl(url, { deployed: true, resolve })).rejects.toBeInstanceOf(UnsafeAddressError);
  });

  it('refuses localhost through the real resolver when deployed', async () => {
    await expect(assertReachableUrl('https://localhost:8443/', { deployed: true })).rejects.toThrow(/localhost resolves to a loopback address/);
  });

  it('refuses a URL with credentials, another scheme or no scheme, deployed or not', async () => {
    for (const deployed of [true, false]) {
      await expect(assertReachableUrl('https://user:pw@sis.example/', { deployed, resolve: publicOnly })).rejects.toThrow(/must not carry credentials/);
      await expect(assertReachableUrl('file:///etc/passwd', { deployed, resolve: publicOnly })).rejects.toThrow(/file: URLs are not fetched/);
      await expect(assertReachableUrl('sis.example/oneroster', { deployed, resolve: publicOnly })).rejects.toThrow(/not an absolute URL/);
    }
  });

  it('lets a local run reach a SIS double on loopback over http', async () => {
    await expect(assertReachableUrl('http://127.0.0.1:4010/ims/oneroster/rostering/v1p2', { deployed: false })).resolves.toBeUndefined();
  });
});

describe('publicOnlyLookup', () => {
  it('stops a request to a host that resolves to loopback at connect time', async () => {
    const server = http.createServer((_request, response) => response.end('reached'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const request = (lookup?: typeof publicOnlyLookup) =>
      new Promise<string>((resolve, reject) => {
        http
          .get({ host: 'localhost', port, family: 4, lookup, agent: false }, (response) => {
            response.setEncoding('utf8');
            let body = '';
            response.on('data', (chunk: string) => (body += chunk));
            response.on('end', () => resolve(body));
          })
          .on('error', reject);
      });
    try {
      await expect(request()).resolves.toBe('reached');
      await expect(request(publicOnlyLookup)).rejects.toThrow(/localhost resolves to a loopback address/);
    } finally {
      server.close();
    }
  });
});
