/**
 * The order workflow of seed 001, as code: charge the card, reserve stock,
 * ask a person to approve large orders (24 hours, then it is rejected),
 * schedule shipping and confirm by email. When a step fails for good, the
 * completed steps are undone in reverse order (refund, release).
 *
 *   baton run examples/order/order.ts --input '{"orderId": "o1", "customerId": "c1",
 *     "items": [{"sku": "book", "quantity": 1}], "total": 1200, "email": "c1@example.com"}'
 *   baton signal RUN approval true       # from another terminal
 */
import { defineWorkflow, NonRetryableError } from 'baton';
import { email, inventory, payments, shipping, type Order } from './services.js';

export const APPROVAL_THRESHOLD = 1000;

export default defineWorkflow('order', async (ctx, order: Order) => {
  ctx.setStatus('charging');
  const payment = await ctx.step('charge', () => payments.charge(order), {
    retry: { attempts: 3, initial: '1s' },
    timeout: '30s',
    compensate: (p) => payments.refund(p.paymentId, p.amount),
  });

  ctx.setStatus('reserving');
  const reservation = await ctx.step('reserve', () => inventory.reserve(order), {
    retry: { attempts: 3 },
    compensate: (r) => inventory.release(r.reservationId),
  });

  if (order.total > APPROVAL_THRESHOLD) {
    ctx.setStatus('awaiting approval');
    const approved = await ctx.waitForSignal<boolean>('approval', { timeout: '24h' });
    if (!approved) throw new NonRetryableError(approved === undefined ? 'not approved within 24h' : 'rejected by a reviewer');
  }

  ctx.setStatus('shipping');
  const shipment = await ctx.step('ship', () => shipping.schedule(order, reservation.reservationId), {
    retry: { attempts: 5, initial: '2s', max: '1m' },
  });

  await ctx.step('confirm', () => email.confirm(order, shipment.trackingNumber));
  ctx.setStatus('done');
  return { orderId: order.orderId, paymentId: payment.paymentId, trackingNumber: shipment.trackingNumber };
});
