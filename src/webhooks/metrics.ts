// Prometheus metrics of webhook delivery.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Deps } from '../deps.ts';

export interface WebhookMetrics {
  delivered: Counter;
  failed: Counter;
  attempts: Counter<'outcome'>;
  slowAttempts: Counter;
  attemptDuration: Histogram;
  deliveryLatency: Histogram;
}

export function createWebhookMetrics(registry: Registry, deps: Deps): WebhookMetrics {
  const registers = [registry];
  new Gauge({
    name: 'openwaba_webhook_events_pending',
    help: 'Webhook events not yet delivered nor failed (pending or being delivered)',
    registers,
    async collect() {
      const row = await deps.db.kysely
        .selectFrom('webhook_events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', 'in', ['pending', 'delivering'])
        .executeTakeFirst();
      this.set(Number(row?.n ?? 0));
    },
  });
  return {
    delivered: new Counter({ name: 'openwaba_webhook_events_delivered_total', help: 'Webhook events delivered (2xx)', registers }),
    failed: new Counter({ name: 'openwaba_webhook_events_failed_total', help: 'Webhook events given up after their retry horizon', registers }),
    attempts: new Counter({
      name: 'openwaba_webhook_attempts_total',
      help: 'Delivery attempts by outcome (delivered, http_error, redirect, timeout, network_error, no_endpoint)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    slowAttempts: new Counter({
      name: 'openwaba_webhook_slow_attempts_total',
      help: 'Delivery attempts whose receiver answered slower than OPENWABA_WEBHOOK_SLOW_MS (80 ms)',
      registers,
    }),
    attemptDuration: new Histogram({
      name: 'openwaba_webhook_attempt_duration_seconds',
      help: 'Duration of one delivery attempt',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.08, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    deliveryLatency: new Histogram({
      name: 'openwaba_webhook_delivery_latency_seconds',
      help: 'Time from an event being written to its successful delivery',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 120, 600, 3600, 14400, 86400],
      registers,
    }),
  };
}
