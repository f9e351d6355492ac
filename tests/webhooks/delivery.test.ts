import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { handler as link } from '../../functions/link';
import { handler as webhooks } from '../../functions/webhooks';
import { loadConfig } from '../../shared/config';
import { getSequelize } from '../../shared/db/sequelize';
import { deliverDue } from '../../shared/webhooks/delivery';
import { sendDelivery } from '../../shared/webhooks/send';
import { resetChanges, walkChanges } from '../support/changes';
import { resetDatabase, withClient } from '../support/db';
import { invoke } from '../support/events';
import { apiSchool, apiUser } from '../support/fixtures';
import { problem } from '../support/problems';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  status: number;
}

/** A receiver on 127.0.0.1 that answers `statuses` in turn (then 204), or never answers when `hang`. */
async function receiver(options: { statuses?: number[]; hang?: boolean } = {}) {
  const statuses = [...(options.statuses ?? [])];
  const received: Received[] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      if (options.hang) return;
      const status = statuses.shift() ?? 204;
      received.push({ headers: request.headers, body, status });
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  const close = () =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    });
  return { url, received, close };
}

const subscribe = async (body: unknown) => {
  const reply = await invoke(webhooks, { route: 'POST /webhooks', body });
  if (reply.status !== 201) throw new Error(`POST /webhooks answered ${reply.status}: ${JSON.stringify(reply.body)}`);
  return reply.body;
};
const getWebhook = async (webhookId: string) => (await invoke(webhooks, { route: 'GET /webhooks/{webhookId}', pathParameters: { webhookId } })).body;
/** As if the backoff had passed. */
const dueNow = () => withClient((c) => c.query(`UPDATE webhooks SET "nextAttemptAt" = now() WHERE "disabledAt" IS NULL`));
const deliver = () => deliverDue({ send: sendDelivery, budgetMs: 20_000 });

const servers: Array<{ close(): Promise<unknown> }> = [];
beforeEach(async () => {
  await resetDatabase();
  await resetChanges();
  await withClient((c) => c.query('TRUNCATE webhooks'));
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});
afterAll(() => getSequelize().close());

describe('POST /webhooks, GET /webhooks, GET and DELETE /webhooks/{webhookId}', () => {
  it('creates a subscription with a secret shown once, lists it without the secret, and deletes it', async () => {
    const created = await subscribe({ url: 'http://127.0.0.1:9/hooks', types: ['user.created'] });
    const expected = {
      webhookId: expect.any(String),
      url: 'http://127.0.0.1:9/hooks',
      types: ['user.created'],
      createdAt: expect.any(String),
      status: 'active',
      failingSince: null,
      disabledAt: null,
      lastError: null,
      nextAttemptAt: expect.any(String),
    };

    expect(created).toEqual({ ...expected, secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{32}$/) });
    const { secret, ...shown } = created;
    expect(await getWebhook(created.webhookId)).toEqual(shown);
    expect((await invoke(webhooks, { route: 'GET /webhooks', query: {} })).body).toEqual({ items: [shown], nextCursor: null });
    const stored = await withClient(async (c) => (await c.query(`SELECT encode(secret, 'escape') AS s FROM webhooks`)).rows[0].s as string);
    expect(stored).not.toContain(secret.slice(6));
    expect((await invoke(webhooks, { route: 'DELETE /webhooks/{webhookId}', pathParameters: { webhookId: created.webhookId } })).status).toBe(204);
    const gone = await invoke(webhooks, { route: 'GET /webhooks/{webhookId}', pathParameters: { webhookId: created.webhookId } });
    expect(gone.body).toEqual(problem(404, 'Not Found', `No webhook ${created.webhookId}.`));
  });

  it('answers 400 naming the field for a URL that is not http(s), an unknown event type or an unknown field', async () => {
    for (const [body, path] of [
      [{ url: 'ftp://example.org/x' }, 'url'],
      [{ url: 'not a url' }, 'url'],
      [{ url: 'http://127.0.0.1:9/', types: ['user.renamed'] }, 'types.0'],
      [{ url: 'http://127.0.0.1:9/', types: [] }, 'types'],
      [{ url: 'http://127.0.0.1:9/', secret: 'mine' }, 'secret'],
    ] as const) {
      const reply = await invoke(webhooks, { route: 'POST /webhooks', body });
      expect({ body, status: reply.status, paths: reply.body.errors?.map((e: { path: string }) => e.path) }).toEqual({ body, status: 400, paths: [path] });
    }
    expect(await withClient(async (c) => (await c.query('SELECT count(*)::int AS n FROM webhooks')).rows[0].n)).toBe(0);
  });
});

describe('webhook delivery', () => {
  it('delivers every change after subscribing, in feed order, signed, retrying a failing receiver with the same webhook-id', async () => {
    await apiUser({ firstName: 'Before' });
    const hook = await receiver({ statuses: [500, 503] });
    servers.push(hook);
    const subscription = await subscribe({ url: hook.url });
    const user = await apiUser({ firstName: 'Ada', email: 'ada@example.org' });
    const school = await apiSchool({ name: 'Analytical Academy' });
    await invoke(link, { route: 'PUT /schools/{schoolId}/users/{userId}', pathParameters: { schoolId: school.schoolId, userId: user.userId } });

    expect(await deliver()).toEqual({ subscriptions: 1, delivered: 0, failed: 1 });
    const failing = await getWebhook(subscription.webhookId);
    expect(failing).toMatchObject({ status: 'failing', lastError: 'HTTP 500', failingSince: expect.any(String) });
    expect(Date.parse(failing.nextAttemptAt)).toBeGreaterThan(Date.now());
    expect(await deliver()).toEqual({ subscriptions: 0, delivered: 0, failed: 0 });
    await dueNow();
    expect(await deliver()).toEqual({ subscriptions: 1, delivered: 0, failed: 1 });
    await dueNow();
    expect(await deliver()).toEqual({ subscriptions: 1, delivered: 3, failed: 0 });

    const verifier = new Webhook(subscription.secret);
    const payloads = hook.received.map(({ headers, body }) => verifier.verify(body, headers as Record<string, string>));
    const feed = (await walkChanges()).events.slice(1);
    expect(hook.received.map((r) => r.status)).toEqual([500, 503, 204, 204, 204]);
    expect(payloads).toEqual([feed[0], feed[0], ...feed]);
    expect(hook.received.map((r) => r.headers['webhook-id'])).toEqual([feed[0].id, feed[0].id, ...feed.map((event) => event.id)]);
    expect(await getWebhook(subscription.webhookId)).toMatchObject({ status: 'active', lastError: null, failingSince: null });
    expect(() => new Webhook(`whsec_${Buffer.alloc(24, 1).toString('base64')}`).verify(hook.received[2].body, hook.received[2].headers as Record<string, string>)).toThrow();
  });

  it('delivers only the subscribed types, and nothing once the subscription is deleted', async () => {
    const hook = await receiver();
    servers.push(hook);
    const subscription = await subscribe({ url: hook.url, types: ['school.created'] });
    await apiUser({ firstName: 'Skipped' });
    const school = await apiSchool({ name: 'Wanted' });

    await deliver();
    expect(hook.received.map((r) => JSON.parse(r.body).entity.id)).toEqual([school.schoolId]);
    expect((await invoke(webhooks, { route: 'DELETE /webhooks/{webhookId}', pathParameters: { webhookId: subscription.webhookId } })).status).toBe(204);
    await apiSchool({ name: 'After the delete' });
    await dueNow();
    expect(await deliver()).toEqual({ subscriptions: 0, delivered: 0, failed: 0 });
    expect(hook.received).toHaveLength(1);
  });

  it('disables a subscription still failing past its retry window (24 h), says so in GET, and leases it no more', async () => {
    const hook = await receiver({ statuses: Array(10).fill(500) });
    servers.push(hook);
    const subscription = await subscribe({ url: hook.url });
    await apiSchool({ name: 'Never delivered' });
    await deliver();
    await withClient((c) => c.query(`UPDATE webhooks SET "failingSince" = now() - interval '25 hours', "nextAttemptAt" = now()`));

    await deliver();
    await dueNow();

    expect(await getWebhook(subscription.webhookId)).toMatchObject({ status: 'disabled', disabledAt: expect.any(String), lastError: 'HTTP 500' });
    expect(await deliver()).toEqual({ subscriptions: 0, delivered: 0, failed: 0 });
    expect(hook.received).toHaveLength(2);
  });

  it('times a silent receiver out at 10 s without delaying another subscription', async () => {
    const silent = await receiver({ hang: true });
    const healthy = await receiver();
    servers.push(silent, healthy);
    const slow = await subscribe({ url: silent.url });
    await subscribe({ url: healthy.url });
    await apiSchool({ name: 'For both' });

    const started = Date.now();
    const run = deliver();
    for (const deadline = Date.now() + 5000; healthy.received.length === 0 && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 20));
    const healthyAfter = Date.now() - started;

    expect(await run).toEqual({ subscriptions: 2, delivered: 1, failed: 1 });
    expect(healthy.received).toHaveLength(1);
    expect(healthyAfter).toBeLessThan(5000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(10_000);
    expect(await getWebhook(slow.webhookId)).toMatchObject({ status: 'failing', lastError: 'no answer within 10 s' });
  }, 30_000);
});

describe('webhook configuration', () => {
  it('refuses a local WEBHOOK_KEY in a deployed function, where the key comes from Secrets Manager', () => {
    const deployed = { ...process.env, AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x' };
    expect(() => loadConfig(deployed)).toThrow(/WEBHOOK_KEY is for local runs/);
    expect(loadConfig({ ...deployed, WEBHOOK_KEY: undefined, WEBHOOK_KEY_SECRET_ID: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:k' }).webhooks.keySecretId).toMatch(/^arn:/);
  });
});

describe('receivers when deployed (SSRF)', () => {
  it('refuses private, loopback, link-local and metadata receivers at subscription and at delivery', async () => {
    const saved = { ...process.env };
    process.env.AWS_EXECUTION_ENV = 'AWS_Lambda_nodejs20.x';
    delete process.env.WEBHOOK_KEY;
    process.env.WEBHOOK_KEY_SECRET_ID = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:unused';
    try {
      let deployed!: { webhooks: typeof webhooks; sendDelivery: typeof sendDelivery };
      jest.isolateModules(() => {
        deployed = { webhooks: require('../../functions/webhooks').handler, sendDelivery: require('../../shared/webhooks/send').sendDelivery };
      });
      for (const url of ['http://example.org/hooks', 'https://127.0.0.1/hooks', 'https://10.1.2.3/', 'https://169.254.169.254/latest/meta-data/', 'https://[::1]/', 'https://[fd00:ec2::254]/', 'https://localhost/']) {
        const reply = await invoke(deployed.webhooks, { route: 'POST /webhooks', body: { url } });
        expect({ url, status: reply.status, path: reply.body.errors?.[0]?.path }).toEqual({ url, status: 400, path: 'url' });
      }
      const hook = await receiver();
      servers.push(hook);
      // A subscription made before (or a host that now resolves elsewhere) is checked again at delivery.
      const outcome = await deployed.sendDelivery({ url: hook.url.replace('http:', 'https:'), headers: {}, body: '{}' });
      expect(outcome).toEqual({ error: expect.stringMatching(/^refused: 127\.0\.0\.1 resolves to a loopback address/) });
      expect(hook.received).toEqual([]);
    } finally {
      process.env = saved;
    }
  });
});
