// A flow's screen shows an ImageCarousel (Flow JSON 7.1+): the sandbox phone draws its images from
// the Flow JSON's base64 `src` (data: URLs, which the page's Content-Security-Policy allows), with
// its aspect-ratio and scale-type, and the alt-text escaped; a src that is no image, or a fourth
// image, is said on the screen instead of drawn. Images may come from the screen's data.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { channelKey, partnerKey, startTestApp, type TestApp } from '../helpers/app.ts';
import { Receiver } from '../helpers/receiver.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { PhoneClient, waitForInbound } from './phone-client.ts';

const WA = '4917012340094';
// A 1×1 PNG and the first bytes of a JPEG.
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0, 1]).toString('base64');
const NOT_AN_IMAGE = Buffer.from('%PDF-1.7 not an image').toString('base64');

const FLOW = {
  version: '7.1',
  screens: [
    {
      id: 'GALLERY',
      title: 'Our rooms',
      terminal: true,
      data: { photos: { type: 'array', items: { type: 'object', properties: { src: { type: 'string' }, 'alt-text': { type: 'string' } } }, __example__: [{ src: PNG, 'alt-text': 'Room' }] } },
      layout: {
        type: 'SingleColumnLayout',
        children: [
          {
            type: 'ImageCarousel',
            'aspect-ratio': '16:9',
            'scale-type': 'cover',
            images: [
              { src: PNG, 'alt-text': 'Sea view <suite>' },
              { src: JPEG, 'alt-text': 'Garden "room"' },
              { src: NOT_AN_IMAGE, 'alt-text': 'The brochure' },
            ],
          },
          { type: 'ImageCarousel', images: '${data.photos}' },
          { type: 'Footer', label: 'Done', 'on-click-action': { name: 'complete', payload: {} } },
        ],
      },
    },
  ],
};

describeEachDb('sandbox phone: an ImageCarousel', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  let receiver: Receiver;
  let phone: PhoneClient;
  let flowId: string;

  async function openWith(photos: unknown[]): Promise<string> {
    const sent = await t.post('/messages', {
      headers: channelKey(p.channel_api_key),
      json: {
        messaging_product: 'whatsapp',
        to: WA,
        type: 'interactive',
        interactive: { type: 'flow', body: { text: 'Rooms' }, action: { name: 'flow', parameters: { flow_message_version: '3', flow_token: 'IMG-1', flow_id: flowId, flow_cta: 'See rooms', flow_action_payload: { screen: 'GALLERY', data: { photos } } } } },
      },
    });
    expect(sent.status, sent.text).toBe(200);
    const res = await phone.get(`/sandbox/phone/flow/${encodeURIComponent(sent.body.messages[0].id)}`);
    expect(res.status).toBe(200);
    return res.text;
  }

  beforeAll(async () => {
    receiver = await new Receiver().start();
    t = await startTestApp(kind, { dispatcher: true, env: { OPENWABA_SANDBOX_STATUS_DELAYS: 'sent=30ms,delivered=60ms,read=90ms' } });
    p = await t.tenant();
    expect((await t.post('/v1/configs/webhook', { headers: channelKey(p.channel_api_key), json: { url: receiver.url } })).status).toBe(200);
    const flow = await t.post(`/api/v2/partners/${p.partner_id}/waba_accounts/${p.waba_account_id}/flows`, {
      headers: partnerKey(p.partner_api_key),
      json: { name: 'rooms', categories: ['OTHER'], flow_json: JSON.stringify(FLOW), publish: true },
    });
    expect(flow.status, flow.text).toBe(201);
    flowId = flow.body.id;
    phone = new PhoneClient(t);
    await phone.open(p.channel_api_key, { wa_id: WA, name: 'Jane' });
    expect((await phone.post('/sandbox/phone/text', { body: 'rooms?' })).status).toBe(303);
    await waitForInbound(receiver, 1);
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('draws the images from their base64 src with aspect-ratio and scale-type; a src that is no image is said, not drawn', async () => {
    const html = await openWith([{ src: JPEG, 'alt-text': 'From data' }]);
    expect(html).not.toContain('not simulated');
    const carousels = [...html.matchAll(/<ul class="flow-carousel ([^"]*)" aria-label="Images">([\s\S]*?)<\/ul>/g)];
    expect(carousels.map((m) => m[1])).toEqual(['ar-16-9 fit-cover', 'ar-4-3 fit-contain']);
    const imgs = (s: string) => [...s.matchAll(/<img src="([^"]*)" alt="([^"]*)">/g)].map((m) => [m[1], m[2]]);
    expect(imgs(carousels[0]![2]!)).toEqual([
      [`data:image/png;base64,${PNG}`, 'Sea view &lt;suite&gt;'],
      [`data:image/jpeg;base64,${JPEG}`, 'Garden &quot;room&quot;'],
    ]);
    expect(carousels[0]![2]).toContain('<span class="media-kind">Image</span> The brochure');
    expect(html).toContain('Image 3 of the carousel (“The brochure”) is not a base64 PNG, JPEG, GIF or WebP image: not drawn.');
    // The second carousel's images come from the screen's data.
    expect(imgs(carousels[1]![2]!)).toEqual([[`data:image/jpeg;base64,${JPEG}`, 'From data']]);
    expect(html).not.toContain('<suite>');
  });

  it('from data: at most 3 images (more are said), and a src that would break out of the attribute is not drawn', async () => {
    const html = await openWith([
      { src: PNG, 'alt-text': 'One' },
      { src: `${PNG}" onerror="alert(1)`, 'alt-text': 'Two <b>' },
      { src: PNG, 'alt-text': 'Three' },
      { src: PNG, 'alt-text': 'Four' },
    ]);
    const second = [...html.matchAll(/<ul class="flow-carousel ([^"]*)" aria-label="Images">([\s\S]*?)<\/ul>/g)][1]![2]!;
    expect([...second.matchAll(/<img src="[^"]*" alt="([^"]*)">/g)].map((m) => m[1])).toEqual(['One', 'Three']);
    expect(second).toContain('<span class="media-kind">Image</span> Two &lt;b&gt;');
    expect(html).not.toContain('onerror');
    expect(html).toContain('An ImageCarousel shows at most 3 images; 1 more are left out.');
    expect(html).not.toContain('Four');
  });
});
