// Reading the app's metrics in tests.
import type { Registry } from 'prom-client';

/** Events the registry's dispatcher has recorded as delivered (openwaba_webhook_events_delivered_total). */
export async function deliveredCount(registry: Registry): Promise<number> {
  const v = await registry.getSingleMetric('openwaba_webhook_events_delivered_total')!.get();
  return v.values[0]?.value ?? 0;
}
