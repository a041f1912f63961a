import type { Kysely } from 'kysely';

// The payments simulated users made in the sandbox (messaging/payments/sandbox-payments.ts;
// POST /sandbox/v1/payments): one row per order (the reference_id of an order_details message
// the channel sent), with the order's wamid and user, the payment's status and, as JSON, its
// amount, currency, configuration name and transactions, which the payment lookup API
// (GET /payments/{configuration_name}/{reference_id}) answers from. The amounts stay in the
// JSON: they can exceed PostgreSQL's integer, and nothing queries them.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('sandbox_payments')
    .addColumn('channel_id', 'text', (c) => c.notNull())
    .addColumn('reference_id', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('wa_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('payment', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('modified_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('sandbox_payments_pk', ['channel_id', 'reference_id'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('sandbox_payments').execute();
}
