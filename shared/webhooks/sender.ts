import { config } from '../config';
import { sendDelivery, type Delivery, type DeliveryOutcome } from './send';

/**
 * How deliveries leave (docs/change-feed.md, "Reaching receivers"). Deployed in create mode the deliver
 * function sits in private subnets with no route to the internet: it signs each delivery and invokes the
 * webhook-sender function, which runs outside the VPC, synchronously through the VPC's Lambda interface
 * endpoint, and records the outcome it returns. The sender never sees a secret or the database. Locally
 * (WEBHOOK_SENDER_FUNCTION unset) deliver sends itself.
 */
export function configuredSender(): (delivery: Delivery) => Promise<DeliveryOutcome> {
  const functionName = config.webhooks.senderFunction;
  if (!functionName) return sendDelivery;
  // The Lambda runtime provides the SDK; the bundle leaves it out. One client per container, made on first use.
  let client: import('@aws-sdk/client-lambda').LambdaClient | undefined;
  return async (delivery) => {
    const { LambdaClient, InvokeCommand } = await import('@aws-sdk/client-lambda');
    client ??= new LambdaClient({ region: config.database.region });
    const answer = await client.send(new InvokeCommand({ FunctionName: functionName, Payload: Buffer.from(JSON.stringify(delivery)) }));
    if (answer.FunctionError || !answer.Payload) return { error: 'the webhook sender failed' };
    return JSON.parse(Buffer.from(answer.Payload).toString('utf8')) as DeliveryOutcome;
  };
}
