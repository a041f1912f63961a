// How openwaba's requests to Meta fare, for the operator's dashboards: every Graph API request and
// CDN download counted and timed by operation and outcome. Both label sets are bounded: the
// operation is the Graph edge our own code asks for (messages, media, message_templates, …; never
// an id), the outcome an HTTP status class or why there was no answer.
import { Histogram, type Registry } from 'prom-client';

export type GraphOutcome = '2xx' | '3xx' | '4xx' | '5xx' | 'timeout' | 'unreachable' | 'bad_answer';

export interface GraphMetrics {
  observe(operation: string, outcome: GraphOutcome, seconds: number): void;
}

/** Registered once per registry (an app's): a second app in the same process gets its own. */
const perRegistry = new WeakMap<Registry, GraphMetrics>();

export function graphMetrics(registry: Registry): GraphMetrics {
  let m = perRegistry.get(registry);
  if (!m) {
    const duration = new Histogram({
      name: 'openwaba_meta_graph_request_duration_seconds',
      help: "Requests to Meta's Graph API and media CDN by operation and outcome (HTTP status class, timeout, unreachable, bad_answer)",
      labelNames: ['operation', 'outcome'] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
    m = { observe: (operation, outcome, seconds) => duration.observe({ operation, outcome }, seconds) };
    perRegistry.set(registry, m);
  }
  return m;
}

/** The Graph edge a path asks for: `<id>/messages` → messages, `<id>` alone → object (a media id, a number's fields). */
export function graphOperation(method: string, path: string): string {
  const segments = path.split('?')[0]!.split('/');
  const edge = segments[1];
  const name = edge && /^[a-z_]{1,40}$/.test(edge) ? edge : 'object';
  return `${method.toLowerCase()}_${name}`;
}

export function outcomeOf(status: number): GraphOutcome {
  return status >= 500 ? '5xx' : status >= 400 ? '4xx' : status >= 300 ? '3xx' : '2xx';
}
