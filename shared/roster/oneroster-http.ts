import http from 'node:http';
import https from 'node:https';
import { setTimeout as sleepFor } from 'node:timers/promises';
import { assertReachableUrl, publicOnlyLookup } from '../net/address-guard';
import { RosterInputError } from './errors';

/** The OAuth 2 client of a district at its SIS: plain values here; where they are kept is the caller's. */
interface ClientCredentials {
  clientId: string;
  clientSecret: string;
  /** Space-separated scopes to ask for; the SIS's default when absent. */
  scope?: string;
}

export interface OneRosterHttpOptions {
  tokenUrl: string;
  credentials: ClientCredentials;
  /** Deployed, only https to public addresses is reached (shared/net/address-guard.ts). */
  deployed: boolean;
  /** Attempts per request when the SIS answers 429 or 503. */
  maxAttempts?: number;
  /** The longest single wait a Retry-After may ask for; a longer one fails the pull instead of idling the function. */
  maxRetryAfterMs?: number;
  requestTimeoutMs?: number;
  /** A page larger than this is refused rather than read into memory. */
  maxResponseBytes?: number;
  /** Waits between attempts; tests pass one that records the wait. */
  sleep?: (ms: number) => Promise<void>;
}

/** A SIS that cannot be read: the pull fails with this message, and the run applies nothing. */
export class OneRosterSourceError extends RosterInputError {
  override readonly name = 'OneRosterSourceError';
}

interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** The token is renewed this long before the SIS says it expires, so no request carries one that lapses in flight. */
const EXPIRY_MARGIN_MS = 30_000;

/** Retry-After is seconds or an HTTP date (RFC 9110 §10.2.3); without one, back off 1, 2, 4... seconds. */
function retryDelayMs(header: string | undefined, attempt: number): number {
  if (header !== undefined) {
    if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
    const at = Date.parse(header);
    if (!Number.isNaN(at)) return Math.max(0, at - Date.now());
  }
  return 1000 * 2 ** (attempt - 1);
}

/**
 * Talks to one OneRoster REST service with OAuth 2 client credentials (RFC 6749 §4.4; the client
 * authenticates with HTTP Basic, §2.3.1). The token is cached until shortly before it expires; a 401 on a
 * cached token gets one new token and one retry. 429 and 503 are retried after their Retry-After, a
 * bounded number of times. Error messages name the URL's path and the status, never a response body.
 */
export class OneRosterHttpClient {
  private token: { value: string; expiresAt: number } | undefined;
  private readonly maxAttempts: number;
  private readonly maxRetryAfterMs: number;
  private readonly requestTimeoutMs: number;
  private readonly maxResponseBytes: number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Requests made, tokens included (the pull's summary and the tests read it). */
  requests = 0;

  constructor(private readonly options: OneRosterHttpOptions) {
    this.maxAttempts = options.maxAttempts ?? 5;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 120_000;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.maxResponseBytes = options.maxResponseBytes ?? 64 * 1024 * 1024;
    this.sleep = options.sleep ?? ((ms) => sleepFor(ms));
  }

  /**
   * GETs a URL of the service and parses its JSON body.
   * @throws OneRosterSourceError when the SIS cannot be reached, refuses the client, keeps answering 429 or
   * answers anything but 200 with JSON.
   */
  async getJson(url: string): Promise<unknown> {
    let refreshed = false;
    for (let attempt = 1; ; attempt++) {
      const token = await this.accessToken();
      const response = await this.send(url, 'GET', { authorization: `Bearer ${token}`, accept: 'application/json' });
      if (response.status === 401 && !refreshed) {
        // The SIS rotated or revoked the token before its stated expiry: one new token, one more try.
        refreshed = true;
        this.token = undefined;
        attempt--;
        continue;
      }
      if ((response.status === 429 || response.status === 503) && attempt < this.maxAttempts) {
        const retryAfter = response.headers['retry-after'];
        const delay = retryDelayMs(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, attempt);
        if (delay > this.maxRetryAfterMs) throw this.failure(url, `asked to retry after ${Math.ceil(delay / 1000)} s, longer than the pull waits`);
        await this.sleep(delay);
        continue;
      }
      if (response.status !== 200) {
        const why = response.status === 401 ? 'refused a freshly issued token (401)' : `answered ${response.status}`;
        throw this.failure(url, attempt > 1 && response.status === 429 ? `answered 429 ${attempt} times` : why);
      }
      return this.parse(url, response.body);
    }
  }

  private async accessToken(): Promise<string> {
    if (this.token && Date.now() < this.token.expiresAt) return this.token.value;
    const { tokenUrl, credentials } = this.options;
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (credentials.scope) form.set('scope', credentials.scope);
    const basic = Buffer.from(`${encodeURIComponent(credentials.clientId)}:${encodeURIComponent(credentials.clientSecret)}`).toString('base64');
    const response = await this.send(tokenUrl, 'POST', {
      authorization: `Basic ${basic}`,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    }, form.toString());
    if (response.status !== 200) throw this.failure(tokenUrl, `refused the client credentials (${response.status})`);
    const body = this.parse(tokenUrl, response.body) as { access_token?: unknown; expires_in?: unknown };
    if (typeof body.access_token !== 'string' || body.access_token === '') throw this.failure(tokenUrl, 'answered without an access_token');
    const lifetimeMs = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in * 1000 : 3_600_000;
    this.token = { value: body.access_token, expiresAt: Date.now() + lifetimeMs - Math.min(EXPIRY_MARGIN_MS, lifetimeMs / 10) };
    return this.token.value;
  }

  private parse(url: string, body: string): unknown {
    try {
      return JSON.parse(body);
    } catch {
      throw this.failure(url, 'answered with a body that is not JSON');
    }
  }

  private failure(url: string, what: string): OneRosterSourceError {
    const { origin, pathname } = new URL(url);
    return new OneRosterSourceError(`The OneRoster source ${origin}${pathname} ${what}`);
  }

  private async send(url: string, method: 'GET' | 'POST', headers: Record<string, string>, body?: string): Promise<Response> {
    const { deployed } = this.options;
    await assertReachableUrl(url, { deployed }).catch((error: Error) => {
      throw new OneRosterSourceError(`The OneRoster source cannot be reached: ${error.message}`, { cause: error });
    });
    this.requests++;
    const target = new URL(url);
    const transport = target.protocol === 'https:' ? https : http;
    return new Promise<Response>((resolve, reject) => {
      const request = transport.request(
        target,
        // Redirects are not followed (node:http never does), so a redirect cannot lead past the address check.
        { method, headers, timeout: this.requestTimeoutMs, lookup: deployed ? publicOnlyLookup : undefined },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > this.maxResponseBytes) {
              request.destroy(this.failure(url, `answered more than ${this.maxResponseBytes} bytes`));
              return;
            }
            chunks.push(chunk);
          });
          response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
          response.on('error', reject);
        },
      );
      request.on('timeout', () => request.destroy(this.failure(url, `did not answer within ${this.requestTimeoutMs} ms`)));
      request.on('error', (error) => reject(error instanceof OneRosterSourceError ? error : this.failure(url, `could not be reached (${(error as NodeJS.ErrnoException).code ?? error.message})`)));
      request.end(body);
    });
  }
}
