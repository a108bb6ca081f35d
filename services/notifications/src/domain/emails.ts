import type { ShippingAddress } from '@bazaar/contracts/common';
import type { OrderCancelledData, OrderConfirmedData, OrderLine, OrderRefundedData, OrderShippedData } from '@bazaar/contracts/events';
import { formatMoney } from './money.ts';

export type EmailKind = 'order-confirmed' | 'order-cancelled' | 'order-shipped' | 'order-refunded';

/** An email ready to be queued: what to send, to whom, under which Message-ID. */
export interface EmailDraft {
  /** The id of the event that caused it: one event, one email. */
  id: string;
  kind: EmailKind;
  orderId: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
}

/**
 * A Message-ID derived from the event, so that the same email sent twice (a
 * crash between the SMTP server accepting it and us recording that) carries
 * the same id and is recognisable as one message (RFC 5322 §3.6.4).
 */
export function messageIdFor(kind: EmailKind, eventId: string, domain: string): string {
  return `<${kind}.${eventId}@${domain}>`;
}

/** The domain of a From like "Bazaar <orders@bazaar.local>" or "orders@bazaar.local". */
export function domainOf(from: string): string {
  const match = /@([^\s<>@]+)>?\s*$/.exec(from);
  return match?.[1] ?? 'bazaar.local';
}

/** The first 8 characters of an order id, enough to tell orders apart in a subject line. */
export function shortId(orderId: string): string {
  return orderId.slice(0, 8);
}

/** Escape text for HTML content and attribute values. */
export function escapeHtml(value: string): string {
  return value.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');
}

const lineText = (l: OrderLine) => `  - ${l.name} × ${l.quantity}: ${formatMoney(l.lineTotal)}`;

function itemsTable(items: OrderLine[], total: OrderConfirmedData['total']): string {
  const cell = 'style="padding:4px 8px;border-bottom:1px solid #ddd"';
  const rows = items
    .map((l) => `<tr><td ${cell}>${escapeHtml(l.name)}</td><td ${cell} align="right">× ${l.quantity}</td><td ${cell} align="right">${escapeHtml(formatMoney(l.lineTotal))}</td></tr>`)
    .join('');
  return `<table style="border-collapse:collapse"><thead><tr><th align="left">Item</th><th align="right">Qty</th><th align="right">Amount</th></tr></thead><tbody>${rows}</tbody><tfoot><tr><td colspan="2"><strong>Total</strong></td><td align="right"><strong>${escapeHtml(formatMoney(total))}</strong></td></tr></tfoot></table>`;
}

function htmlPage(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body style="font-family:Arial,sans-serif;color:#222">${body}<p>— Bazaar</p></body></html>`;
}

/** The address block, one line per field (recipient, street, postcode and city, country). */
function addressLines(address: ShippingAddress): string[] {
  return [address.name, address.line1, `${address.postalCode} ${address.city}`, address.country];
}

/** The greeting: by name when the order carries one. */
const greetingFor = (name: string | undefined): string => (name === undefined ? 'Hello,' : `Hello ${name},`);

/** Where the parcel goes, as text lines and as HTML, after `lead`; nothing for orders placed before addresses were kept. */
function shippingBlock(address: ShippingAddress | undefined, lead: string): { text: string[]; html: string } {
  if (address === undefined) return { text: [], html: '' };
  const lines = addressLines(address);
  return { text: [lead, ...lines.map((l) => `  ${l}`), ''], html: `<p>${escapeHtml(lead)}</p><address>${lines.map(escapeHtml).join('<br>')}</address>` };
}

/** The email for orders.order-confirmed: the order id, every item with its line total, the total and where it ships. */
export function orderConfirmedEmail(opts: { eventId: string; data: OrderConfirmedData; domain: string }): EmailDraft {
  const { data } = opts;
  const subject = `Your Bazaar order ${shortId(data.orderId)} is confirmed`;
  const total = formatMoney(data.total);
  const shipTo = shippingBlock(data.shippingAddress, 'It will be shipped to:');
  const greeting = greetingFor(data.customerName);
  const text = [
    greeting,
    '',
    `thank you for shopping at Bazaar. Your order ${data.orderId} is confirmed and paid.`,
    '',
    ...data.items.map(lineText),
    '',
    `Total: ${total}`,
    '',
    ...shipTo.text,
    '— Bazaar',
    '',
  ].join('\n');
  const html = htmlPage(
    subject,
    `<p>${escapeHtml(greeting)}</p><p>thank you for shopping at Bazaar. Your order <strong>${escapeHtml(data.orderId)}</strong> is confirmed and paid.</p>${itemsTable(data.items, data.total)}${shipTo.html}`,
  );
  return { id: opts.eventId, kind: 'order-confirmed', orderId: data.orderId, to: data.email, subject, text, html, messageId: messageIdFor('order-confirmed', opts.eventId, opts.domain) };
}

/** The email for orders.order-cancelled: the order id, the reason, and that nothing was charged. */
export function orderCancelledEmail(opts: { eventId: string; data: OrderCancelledData; domain: string }): EmailDraft {
  const { data } = opts;
  const subject = `Your Bazaar order ${shortId(data.orderId)} was cancelled`;
  const text = [
    'Hello,',
    '',
    `we are sorry: your order ${data.orderId} was cancelled.`,
    `Reason: ${data.reason}`,
    '',
    'Nothing was charged to your card.',
    ...(data.items.length > 0 ? ['', 'The order contained:', ...data.items.map(lineText)] : []),
    '',
    '— Bazaar',
    '',
  ].join('\n');
  const html = htmlPage(
    subject,
    `<p>Hello,</p><p>we are sorry: your order <strong>${escapeHtml(data.orderId)}</strong> was cancelled.</p><p>Reason: ${escapeHtml(data.reason)}</p><p><strong>Nothing was charged to your card.</strong></p>${data.items.length > 0 ? `<p>The order contained:</p>${itemsTable(data.items, data.total)}` : ''}`,
  );
  return { id: opts.eventId, kind: 'order-cancelled', orderId: data.orderId, to: data.email, subject, text, html, messageId: messageIdFor('order-cancelled', opts.eventId, opts.domain) };
}

/** The email for orders.order-shipped: the carrier and tracking number, the items, and where it goes. */
export function orderShippedEmail(opts: { eventId: string; data: OrderShippedData; domain: string }): EmailDraft {
  const { data } = opts;
  const subject = `Your Bazaar order ${shortId(data.orderId)} has shipped`;
  const shipTo = shippingBlock(data.shippingAddress, 'It is shipped to:');
  const greeting = greetingFor(data.customerName);
  const tracking = `Carrier: ${data.carrier}, tracking number: ${data.trackingNumber}`;
  const text = [
    greeting,
    '',
    `your order ${data.orderId} is on its way.`,
    tracking,
    '',
    ...data.items.map(lineText),
    '',
    ...shipTo.text,
    '— Bazaar',
    '',
  ].join('\n');
  const html = htmlPage(
    subject,
    `<p>${escapeHtml(greeting)}</p><p>your order <strong>${escapeHtml(data.orderId)}</strong> is on its way.</p>` +
      `<p>Carrier: <strong>${escapeHtml(data.carrier)}</strong>, tracking number: <strong>${escapeHtml(data.trackingNumber)}</strong></p>` +
      `<ul>${data.items.map((l) => `<li>${escapeHtml(l.name)} × ${l.quantity}</li>`).join('')}</ul>${shipTo.html}`,
  );
  return { id: opts.eventId, kind: 'order-shipped', orderId: data.orderId, to: data.email, subject, text, html, messageId: messageIdFor('order-shipped', opts.eventId, opts.domain) };
}

/** The email for orders.order-refunded: how much, and what happens to the money (back to the card it was paid with). */
export function orderRefundedEmail(opts: { eventId: string; data: OrderRefundedData; domain: string }): EmailDraft {
  const { data } = opts;
  const subject = `Your Bazaar order ${shortId(data.orderId)} was refunded`;
  const amount = formatMoney(data.amount);
  const money = `The full amount, ${amount}, goes back to the card you paid with; depending on your bank it shows on your statement within a few business days.`;
  const text = [
    'Hello,',
    '',
    `your order ${data.orderId} was refunded.`,
    ...(data.reason === undefined ? [] : [`Reason: ${data.reason}`]),
    '',
    money,
    '',
    'The order contained:',
    ...data.items.map(lineText),
    '',
    '— Bazaar',
    '',
  ].join('\n');
  const html = htmlPage(
    subject,
    `<p>Hello,</p><p>your order <strong>${escapeHtml(data.orderId)}</strong> was refunded.</p>` +
      (data.reason === undefined ? '' : `<p>Reason: ${escapeHtml(data.reason)}</p>`) +
      `<p><strong>${escapeHtml(money)}</strong></p><p>The order contained:</p>${itemsTable(data.items, data.amount)}`,
  );
  return { id: opts.eventId, kind: 'order-refunded', orderId: data.orderId, to: data.email, subject, text, html, messageId: messageIdFor('order-refunded', opts.eventId, opts.domain) };
}
