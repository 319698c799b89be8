/**
 * Stand-ins for the order workflow's services (payments, inventory,
 * shipping, email). They write what they do to $ORDER_LEDGER (a file, one
 * JSON line per effect) when it is set, so a run's side effects can be counted.
 */
import { appendFileSync } from 'node:fs';
import { NonRetryableError } from 'baton';

export interface Order {
  orderId: string;
  customerId: string;
  items: Array<{ sku: string; quantity: number }>;
  total: number;
  email: string;
  /** For rehearsals: make a service fail ("payment-declined", "out-of-stock", "shipping-down"). */
  fail?: 'payment-declined' | 'out-of-stock' | 'shipping-down';
}

function effect(kind: string, data: Record<string, unknown>): void {
  const ledger = process.env.ORDER_LEDGER;
  if (ledger) appendFileSync(ledger, JSON.stringify({ kind, ...data }) + '\n');
}

export const payments = {
  charge(order: Order): { paymentId: string; amount: number } {
    if (order.fail === 'payment-declined') throw new NonRetryableError(`card declined for ${order.customerId}`);
    effect('charge', { orderId: order.orderId, amount: order.total });
    return { paymentId: `pay_${order.orderId}`, amount: order.total };
  },
  refund(paymentId: string, amount: number): void {
    effect('refund', { paymentId, amount });
  },
};

export const inventory = {
  reserve(order: Order): { reservationId: string } {
    if (order.fail === 'out-of-stock') throw new NonRetryableError(`out of stock: ${order.items.map((i) => i.sku).join(', ')}`);
    effect('reserve', { orderId: order.orderId });
    return { reservationId: `res_${order.orderId}` };
  },
  release(reservationId: string): void {
    effect('release', { reservationId });
  },
};

export const shipping = {
  schedule(order: Order, reservationId: string): { shipmentId: string; trackingNumber: string } {
    if (order.fail === 'shipping-down') throw new Error('shipping service unavailable');
    effect('ship', { orderId: order.orderId, reservationId });
    return { shipmentId: `shp_${order.orderId}`, trackingNumber: `TRK${order.orderId.toUpperCase()}` };
  },
};

export const email = {
  confirm(order: Order, trackingNumber: string): void {
    effect('email', { to: order.email, trackingNumber });
  },
};
