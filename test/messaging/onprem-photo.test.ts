// The On-Premise profile photo: set with the image as the body, read back as bytes or a link,
// replaced (the old file goes), deleted; refused in the On-Premise error body when it is no photo.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDb } from '../helpers/db.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import type { BootstrapResult } from '../../src/services/bootstrap.ts';
import { SAMPLES, download, filesUnder, sha256, uploadOnPrem } from './media-fixtures.ts';
import path from 'node:path';

describeEachDb('On-Premise profile photo', (kind) => {
  let t: TestApp;
  let p: BootstrapResult;
  const PATH = '/v1/settings/profile/photo';
  const key = (who: BootstrapResult = p) => ({ 'D360-API-KEY': who.channel_api_key });
  const jpeg = SAMPLES.find((s) => s.mime === 'image/jpeg')!;
  const png = SAMPLES.find((s) => s.mime === 'image/png')!;
  const setPhoto = (data: Buffer, type?: string, who = p) => uploadOnPrem(t, who.channel_api_key, data, type, PATH);
  const getPhoto = async (who = p) => {
    const r = await download(t, PATH, who.channel_api_key);
    return { status: r.status, type: r.headers['content-type'], data: r.body };
  };
  const mediaFiles = () => filesUnder(path.join(t.dataDir, 'media', 'files'));

  beforeAll(async () => {
    t = await startTestApp(kind);
    p = await t.tenant();
  });
  afterAll(async () => {
    await t.close();
  });

  it('no photo yet: GET and DELETE answer 404 in the On-Premise body', async () => {
    const res = await t.get(PATH, { headers: key() });
    expect(res.status).toBe(404);
    expect(res.body.errors[0].details).toContain('no profile photo');
    expect((await t.delete(PATH, { headers: key() })).status).toBe(404);
  });

  it('set, read back (bytes and link), shown as the Cloud profile picture, replaced, deleted', async () => {
    const filesBefore = mediaFiles().length;
    const set = await setPhoto(jpeg.data, 'image/jpeg');
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body).toEqual({ meta: { api_status: 'stable', version: expect.any(String) } });
    const got = await getPhoto();
    expect(got.status).toBe(200);
    expect(got.type).toBe('image/jpeg');
    expect(sha256(got.data)).toBe(sha256(jpeg.data));
    const link = await t.get(PATH, { headers: key(), query: { format: 'link' } });
    expect(link.body).toEqual({ settings: { profile: { photo: { link: `${t.deps.config.publicUrl}${PATH}` } } }, meta: expect.any(Object) });
    const cloud = await t.get('/whatsapp_business_profile', { headers: key(), query: { fields: 'profile_picture_url' } });
    expect(cloud.body.data[0].profile_picture_url).toBe(`${t.deps.config.publicUrl}${PATH}`);
    expect(mediaFiles().length).toBe(filesBefore + 1);

    // Replaced: the new image is served and the old file is gone.
    expect((await setPhoto(png.data, 'image/png')).status).toBe(200);
    const again = await getPhoto();
    expect(again.type).toBe('image/png');
    expect(sha256(again.data)).toBe(sha256(png.data));
    expect(mediaFiles().length).toBe(filesBefore + 1);
    // Another number has none.
    const other = await t.tenant();
    expect((await getPhoto(other)).status).toBe(404);

    expect((await t.delete(PATH, { headers: key() })).status).toBe(200);
    expect((await getPhoto()).status).toBe(404);
    expect(mediaFiles().length).toBe(filesBefore);
    const after = await t.get('/whatsapp_business_profile', { headers: key(), query: { fields: 'profile_picture_url' } });
    expect(after.body.data[0].profile_picture_url).toBe('');
  });

  it('no image: 400 naming the rule; over 5 MB: 413; nothing is stored', async () => {
    const filesBefore = mediaFiles().length;
    const pdf = await setPhoto(Buffer.from('%PDF-1.7\n'), 'application/pdf');
    expect(pdf.status).toBe(400);
    expect(pdf.body.errors[0].details).toContain('Content-Type must be of kind image here (got application/pdf, kind document)');
    const none = await setPhoto(Buffer.from('abc'));
    expect(none.status).toBe(400);
    const big = await setPhoto(Buffer.concat([jpeg.data, Buffer.alloc(5 * 1024 * 1024)]), 'image/jpeg');
    expect(big.status).toBe(413);
    expect(big.body.errors).toBeDefined();
    expect(mediaFiles().length).toBe(filesBefore);
    // The On-Premise media upload is not limited to images.
    expect((await uploadOnPrem(t, p.channel_api_key, Buffer.from('%PDF-1.7\n'), 'application/pdf')).status).toBe(201);
  });
});
