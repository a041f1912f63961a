import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPrivateAddress, publicOnlyLookup } from '../src/webhooks/private-address.ts';
import { Dispatcher } from '../src/webhooks/dispatcher.ts';
import { enqueueEvent } from '../src/webhooks/outbox.ts';
import { startTestApp, type TestApp } from './helpers/app.ts';
import { Receiver } from './helpers/receiver.ts';

describe('strict policy: deliveries never reach private addresses', () => {
  it('classifies addresses', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', 'fd00::1', 'fe80::1', 'localhost', 'x.localhost', '[::1]', '224.0.0.1']) {
      expect(isPrivateAddress(a), a).toBe(true);
    }
    for (const a of ['8.8.8.8', '1.1.1.1', 'example.com', '2001:4860:4860::8888']) expect(isPrivateAddress(a), a).toBe(false);
  });

  it('the lookup refuses a name that resolves to loopback', async () => {
    const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => publicOnlyLookup('localhost', {}, (e) => resolve(e)));
    expect(err?.code).toBe('EPRIVATEADDRESS');
  });

  describe('end to end', () => {
    let t: TestApp;
    let receiver: Receiver;
    beforeAll(async () => {
      receiver = await new Receiver().start();
      t = await startTestApp('sqlite', { env: { OPENWABA_WEBHOOK_URL_POLICY: 'strict' } });
    });
    afterAll(async () => {
      await t.close();
      await receiver.close();
    });

    it('a partner webhook on 127.0.0.1 is refused at delivery and retried later, never sent', async () => {
      const p = await t.tenant();
      await t.deps.db.kysely.updateTable('partners').set({ webhook_url: receiver.url }).where('id', '=', p.partner_id).execute();
      const id = await enqueueEvent(t.deps, t.deps.db.kysely, { partnerId: p.partner_id, targetType: 'partner', targetId: p.partner_id, eventType: 'test', body: '{}' });
      const d = new Dispatcher(t.deps);
      await d.drain();
      await d.stop();
      expect(receiver.requests).toHaveLength(0);
      const attempts = await t.deps.db.kysely.selectFrom('webhook_attempts').selectAll().where('event_id', '=', id).execute();
      expect(attempts[0]).toMatchObject({ outcome: 'network_error' });
      expect(attempts[0]!.error).toMatch(/EPRIVATEADDRESS/);
    });
  });
});
