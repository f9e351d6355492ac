import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeSecretsManager {
  /** What SECRETS_ENDPOINT-style settings point the SDK at. */
  endpoint: string;
  /** Stores (or replaces) a secret's JSON text under its name. */
  put(name: string, value: unknown): void;
  /** Each request as `Target SecretId`, in order. */
  log: string[];
  close(): Promise<void>;
}

/**
 * A stand-in for AWS Secrets Manager on 127.0.0.1 that speaks its JSON protocol (awsJson1_1: a POST of
 * `{"SecretId"}` with `X-Amz-Target: secretsmanager.GetSecretValue`), so the real SDK client, pointed
 * at it by DB_SECRETS_ENDPOINT, is what the code under test uses. Unknown secrets answer the
 * ResourceNotFoundException AWS answers; any other operation is refused.
 */
export async function startFakeSecretsManager(): Promise<FakeSecretsManager> {
  const secrets = new Map<string, string>();
  const log: string[] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const secretId = String((JSON.parse(body || '{}') as { SecretId?: unknown }).SecretId ?? '');
      log.push(`${target} ${secretId}`);
      const answer = (status: number, payload: object) => {
        response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        response.end(JSON.stringify(payload));
      };
      if (target !== 'secretsmanager.GetSecretValue') return answer(400, { __type: 'InvalidRequestException', message: `${target} is not served here` });
      const value = secrets.get(secretId);
      if (value === undefined) return answer(400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
      return answer(200, {
        ARN: `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${secretId}-AbCdEf`,
        Name: secretId,
        SecretString: value,
        VersionId: '00000000-0000-4000-8000-000000000001',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: Date.now() / 1000,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    put: (name, value) => secrets.set(name, typeof value === 'string' ? value : JSON.stringify(value)),
    log,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
