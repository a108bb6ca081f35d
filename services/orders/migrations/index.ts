import type { Migration } from '@bazaar/store';
import { outboxMigration, outboxRelayMigration } from '@bazaar/messaging';
import * as init from './0001_init.ts';
import * as sagaLease from './0004_saga_lease.ts';
import * as shippingAddress from './0005_shipping_address.ts';
import * as cartVersions from './0006_cart_versions.ts';
import * as shipmentRefund from './0007_shipment_refund.ts';
import * as openSagas from './0008_open_sagas.ts';

/** The orders service's migrations, applied in name order at start-up. */
export const migrations: Record<string, Migration> = {
  '0001_init': init,
  // The transactional outbox: order events commit with the status change.
  '0002_outbox': outboxMigration,
  // What the NATS relay has published (used only with NATS_URL; the embedded feed reads the outbox as before).
  '0003_outbox_relay': outboxRelayMigration,
  // A lease per saga: several instances on one database never drive a saga at once.
  '0004_saga_lease': sagaLease,
  // The shipping address and the customer's name, kept with the order for fulfilment.
  '0005_shipping_address': shippingAddress,
  // A cart version becomes at most one live order.
  '0006_cart_versions': cartVersions,
  // The back office: shipment (carrier, tracking) and refund of an order.
  '0007_shipment_refund': shipmentRefund,
  // The sweep and the lease heartbeat read the open sagas through indexes of their own, not every saga ever.
  '0008_open_sagas': openSagas,
};
