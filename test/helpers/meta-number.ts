// A test app with one tenant whose channel is attached to Meta's network, against a fake Graph
// API: what every "on Meta's network, asked of Meta" test starts from.
import { attachMetaChannel } from '../../src/network/meta/channels.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { ACCESS_TOKEN, META_ENV } from '../meta/meta-webhook-fixtures.ts';
import { startTestApp, type TestApp } from './app.ts';
import type { DbKind } from './db.ts';
import { FakeGraph } from './fake-graph.ts';

export interface MetaNumber {
  graph: FakeGraph;
  t: TestApp;
  p: BootstrapResult;
  /** Closes the app, then the fake Graph. */
  close(): Promise<void>;
}

export async function startMetaNumber(kind: DbKind, ids: { phoneNumberId: string; wabaId: string }): Promise<MetaNumber> {
  const graph = await new FakeGraph().start();
  const t = await startTestApp(kind, { env: { ...META_ENV, OPENWABA_META_GRAPH_URL: graph.url } });
  const p = await t.tenant();
  await attachMetaChannel(t.deps, p.channel_id, { ...ids, accessToken: ACCESS_TOKEN });
  return {
    graph,
    t,
    p,
    close: async () => {
      await t.close();
      await graph.close();
    },
  };
}
