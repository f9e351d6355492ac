import middy from '@middy/core';
import { sendDelivery, type Delivery, type DeliveryOutcome } from '../shared/webhooks/send';

/**
 * Sends one signed webhook delivery to its receiver and answers the outcome (docs/change-feed.md). Runs
 * outside the VPC, so it reaches the internet without a NAT gateway; only the deliver function may
 * invoke it, and it holds no secret: the delivery comes signed. Receivers are checked (https, public
 * addresses only) before and while connecting.
 */
export const handler = middy<Delivery, DeliveryOutcome>(async (delivery: Delivery) => sendDelivery(delivery));
