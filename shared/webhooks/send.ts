import http from 'node:http';
import https from 'node:https';
import { config } from '../config';
import { assertReachableUrl, publicOnlyLookup, UnsafeAddressError } from '../net/address-guard';

/** docs/change-feed.md: a receiver that has not answered in 10 s has failed this attempt. */
const RECEIVER_TIMEOUT_MS = 10_000;

/** One signed delivery: the receiver, the Standard Webhooks headers and the event's JSON. */
export interface Delivery {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** What became of a delivery: the receiver's status, or why nothing was answered. Never a receiver's body. */
export type DeliveryOutcome = { status: number } | { error: string };

/**
 * POSTs one delivery and waits at most RECEIVER_TIMEOUT_MS for the status. Deployed, the URL is checked
 * again here (an address a host name resolves to may have changed since the subscription), and the
 * socket's own lookup refuses a private address (DNS rebinding between the check and the connect).
 */
export async function sendDelivery(delivery: Delivery): Promise<DeliveryOutcome> {
  try {
    await assertReachableUrl(delivery.url, { deployed: config.deployed });
  } catch (error) {
    if (error instanceof UnsafeAddressError) return { error: `refused: ${error.message}` };
    return { error: 'the receiver host could not be resolved' };
  }
  const url = new URL(delivery.url);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    const request = client.request(
      url,
      {
        method: 'POST',
        headers: { ...delivery.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(delivery.body) },
        timeout: RECEIVER_TIMEOUT_MS,
        ...(config.deployed ? { lookup: publicOnlyLookup } : {}),
      },
      (response) => {
        // Only the status counts; the body is drained, never kept (a receiver may echo personal data).
        response.resume();
        response.on('end', () => resolve({ status: response.statusCode ?? 0 }));
        response.on('error', () => resolve({ status: response.statusCode ?? 0 }));
      },
    );
    const deadline = setTimeout(() => request.destroy(new Error('timeout')), RECEIVER_TIMEOUT_MS);
    request.on('timeout', () => request.destroy(new Error('timeout')));
    request.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(deadline);
      resolve({ error: error.message === 'timeout' ? `no answer within ${RECEIVER_TIMEOUT_MS / 1000} s` : error instanceof UnsafeAddressError ? `refused: ${error.message}` : `connection failed (${error.code ?? 'error'})` });
    });
    request.on('close', () => clearTimeout(deadline));
    request.end(delivery.body);
  });
}
