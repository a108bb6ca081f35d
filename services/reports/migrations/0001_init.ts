/**
 * The read model: facts taken from orders' and payments' events, plus the
 * inbox and feed cursors that make each event count once. Timestamps are
 * UTC (TIMESTAMP without zone); amounts are integer minor units.
 */
export const statements: readonly string[] = [
  // One row per order: its latest known outcome (the orders feed is in order, so the last event wins).
  `CREATE TABLE orders (
    order_id VARCHAR PRIMARY KEY,
    user_id VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    currency VARCHAR NOT NULL,
    total BIGINT NOT NULL,
    confirmed_at TIMESTAMP,
    cancelled_at TIMESTAMP,
    reason VARCHAR
  )`,
  `CREATE TABLE order_lines (
    order_id VARCHAR NOT NULL,
    line_no INTEGER NOT NULL,
    product_id VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    quantity INTEGER NOT NULL,
    unit_amount BIGINT NOT NULL,
    line_amount BIGINT NOT NULL,
    currency VARCHAR NOT NULL,
    PRIMARY KEY (order_id, line_no)
  )`,
  // Captures, voids and refunds as payments reported them: a payment reaches each status at most once.
  `CREATE TABLE payment_events (
    payment_id VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    order_id VARCHAR NOT NULL,
    amount BIGINT NOT NULL,
    currency VARCHAR NOT NULL,
    happened_at TIMESTAMP NOT NULL,
    PRIMARY KEY (payment_id, status)
  )`,
  `CREATE TABLE inbox (
    event_id VARCHAR PRIMARY KEY,
    source VARCHAR NOT NULL,
    type VARCHAR NOT NULL,
    handled_at TIMESTAMP NOT NULL
  )`,
  `CREATE TABLE event_cursors (
    stream VARCHAR PRIMARY KEY,
    position BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL
  )`,
  // Service state that must survive a restart, e.g. a rebuild in progress.
  `CREATE TABLE meta (
    key VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
  )`,
];
