import type { ServiceClient } from '@bazaar/kit';
import { routes } from '@bazaar/contracts/notifications';
import type { NotificationsPort } from '../domain/model.ts';

/** Notifications, as the back office's order page sees it: the emails sent about an order (contract: @bazaar/contracts/notifications). */
export function notificationsAdapter(client: ServiceClient): NotificationsPort {
  return {
    async emailsFor(orderId) {
      const { body } = await client.call(routes.listEmails, { query: { orderId, limit: 100 } });
      // Newest first from notifications; an order's story reads oldest first.
      return body.emails
        .map((e) => ({ kind: e.kind, to: e.to, subject: e.subject, status: e.status, createdAt: e.createdAt, sentAt: e.sentAt }))
        .reverse();
    },
  };
}
