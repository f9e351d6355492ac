import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { pullOneRosterRest } from '../shared/roster/oneroster-rest';

/**
 * `npx tsx bench/oneroster-rest.ts [users] [pageSize]`: pulls a generated OneRoster 1.2 district of 100,000
 * users (two roles each) and 101 orgs from a SIS double in a child process, with no count headers, and
 * prints the pull's time and this process's peak RSS and heap. The SIS generates each page from its offset,
 * so only the pulling side's memory is measured.
 */
const serving = process.argv[2] === 'serve';
const [users, page] = process.argv.slice(serving ? 3 : 2);
const USERS = Number(users ?? 100_000);
const PAGE = Number(page ?? 1000);
const SCHOOLS = 100;
const BASE = '/ims/oneroster/rostering/v1p2';
const STAMP = '2026-11-30T10:00:00.000Z';

function org(i: number) {
  return i === 0
    ? { sourcedId: 'dist', status: 'active', dateLastModified: STAMP, name: 'District', type: 'district', identifier: 'D' }
    : { sourcedId: `sch-${i}`, status: 'active', dateLastModified: STAMP, name: `School ${i}`, type: 'school', identifier: `S${i}`, parent: { href: `https://sis.example${BASE}/orgs/dist`, sourcedId: 'dist', type: 'org' } };
}

function user(i: number) {
  const school = (n: number) => ({ href: `https://sis.example${BASE}/orgs/sch-${n}`, sourcedId: `sch-${n}`, type: 'org' });
  return {
    sourcedId: `u-${i}`, status: 'active', dateLastModified: STAMP, enabledUser: 'true', username: `user${i}`,
    givenName: `Given${i}`, familyName: `Family${i}`, email: `user${i}@district.example`,
    roles: [
      { roleType: 'primary', role: i % 20 === 0 ? 'teacher' : 'student', org: school((i % SCHOOLS) + 1) },
      { roleType: 'secondary', role: 'student', org: school(((i + 7) % SCHOOLS) + 1) },
    ],
  };
}

function serve(): void {
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://sis');
    request.resume();
    request.on('end', () => {
      if (url.pathname === '/token') {
        response.writeHead(200, { 'content-type': 'application/json' });
        return response.end(JSON.stringify({ access_token: 'bench', expires_in: 3600 }));
      }
      const collection = url.pathname.slice(BASE.length + 1);
      const offset = Number(url.searchParams.get('offset'));
      const limit = Number(url.searchParams.get('limit'));
      const total = collection === 'orgs' ? SCHOOLS + 1 : USERS;
      const records = [];
      for (let i = offset; i < Math.min(total, offset + limit); i++) records.push(collection === 'orgs' ? org(i) : user(i));
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ [collection]: records }));
    });
  });
  server.listen(0, '127.0.0.1', () => process.send?.((server.address() as AddressInfo).port));
}

async function main(): Promise<void> {
  const child: ChildProcess = fork(__filename, ['serve', String(USERS)], { execArgv: ['--import', 'tsx'] });
  const [port] = (await once(child, 'message')) as [number];
  const before = process.memoryUsage();
  let peakHeap = before.heapUsed;
  const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 20);
  const started = performance.now();
  const source = await pullOneRosterRest({
    baseUrl: `http://127.0.0.1:${port}${BASE}`,
    tokenUrl: `http://127.0.0.1:${port}/token`,
    credentials: { clientId: 'bench', clientSecret: 'bench' },
    deployed: false,
    pageSize: PAGE,
  });
  const ms = performance.now() - started;
  const peakRss = process.resourceUsage().maxRSS * 1024;
  let lines = -1;
  let bytes = 0;
  for await (const chunk of await source.open('users.csv')) {
    bytes += (chunk as Buffer).length;
    for (const byte of chunk as Buffer) if (byte === 10) lines++;
  }
  if (lines !== USERS) throw new Error(`users.csv holds ${lines} users, not ${USERS}`);
  for await (const chunk of await source.open('roles.csv')) bytes += (chunk as Buffer).length;
  clearInterval(sampler);
  await source.close();
  child.kill();
  const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  console.log(`${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${os.cpus()[0]?.model}, Node ${process.version}`);
  console.log(`${USERS} users in pages of ${PAGE}: pulled in ${(ms / 1000).toFixed(1)} s; users.csv + roles.csv: ${(bytes / 1024 / 1024).toFixed(1)} MiB on disk`);
  console.log(`RSS before ${mib(before.rss)} MiB, peak ${mib(peakRss)} MiB; heap before ${mib(before.heapUsed)} MiB, peak ${mib(peakHeap)} MiB`);
}

if (serving) serve();
else void main();
