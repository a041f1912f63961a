// Embedded Signup's settings: on only when the app id, the configuration id, the app secret and the
// secret key are all set; half of it stops the start with a ConfigError naming what is missing.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

const FULL = {
  OPENWABA_SECRET_KEY: 'e'.repeat(64),
  OPENWABA_META_APP_ID: '1234567890123',
  OPENWABA_META_ES_CONFIG_ID: '987654321098765',
  OPENWABA_META_APP_SECRET: 'app-secret-' + 'z'.repeat(24),
};

describe('Embedded Signup configuration', () => {
  it('all four set: on, with Facebook’s SDK and origins by default; without the two ids: off (the secret and key alone serve webhooks and the attach)', () => {
    expect(loadConfig(FULL).embeddedSignup).toEqual({
      appId: '1234567890123',
      configId: '987654321098765',
      sdkUrl: 'https://connect.facebook.net/en_US/sdk.js',
      origins: ['https://www.facebook.com', 'https://web.facebook.com'],
    });
    expect(loadConfig({ OPENWABA_SECRET_KEY: FULL.OPENWABA_SECRET_KEY, OPENWABA_META_APP_SECRET: FULL.OPENWABA_META_APP_SECRET }).embeddedSignup).toBeUndefined();
  });

  it.each([
    ['OPENWABA_META_APP_ID', /OPENWABA_META_APP_ID/],
    ['OPENWABA_META_ES_CONFIG_ID', /OPENWABA_META_ES_CONFIG_ID/],
    ['OPENWABA_META_APP_SECRET', /half configured.*OPENWABA_META_APP_SECRET/],
    ['OPENWABA_SECRET_KEY', /half configured.*OPENWABA_SECRET_KEY/],
  ])('without %s: refused at start, naming it', (missing, message) => {
    const env: Record<string, string> = { ...FULL };
    delete env[missing];
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('only the app id: refused, naming the three missing settings', () => {
    expect(() => loadConfig({ OPENWABA_META_APP_ID: FULL.OPENWABA_META_APP_ID })).toThrow(
      /OPENWABA_META_ES_CONFIG_ID, OPENWABA_META_APP_SECRET, OPENWABA_SECRET_KEY are not/,
    );
  });

  it('ids must be digits; the SDK URL an http(s) URL (https in production); origins bare origins', () => {
    expect(() => loadConfig({ ...FULL, OPENWABA_META_APP_ID: 'my-app' })).toThrow(/OPENWABA_META_APP_ID must be Meta's numeric id/);
    expect(() => loadConfig({ ...FULL, OPENWABA_META_ES_CONFIG_ID: '12' })).toThrow(/OPENWABA_META_ES_CONFIG_ID/);
    expect(() => loadConfig({ ...FULL, OPENWABA_META_SDK_URL: 'javascript:alert(1)' })).toThrow(/OPENWABA_META_SDK_URL/);
    expect(() => loadConfig({ ...FULL, OPENWABA_META_SDK_URL: 'http://cdn.example/sdk.js', NODE_ENV: 'production' })).toThrow(/https when NODE_ENV=production/);
    expect(() => loadConfig({ ...FULL, OPENWABA_META_ES_ORIGINS: 'https://www.facebook.com/path' })).toThrow(/OPENWABA_META_ES_ORIGINS/);
    expect(() => loadConfig({ ...FULL, OPENWABA_META_ES_ORIGINS: '*' })).toThrow(/OPENWABA_META_ES_ORIGINS/);
    expect(() => loadConfig({ ...FULL, OPENWABA_META_ES_ORIGINS: 'http://127.0.0.1:9', NODE_ENV: 'production' })).toThrow(/https when NODE_ENV=production/);
    const local = loadConfig({ ...FULL, OPENWABA_META_SDK_URL: 'http://127.0.0.1:9999/sdk.js', OPENWABA_META_ES_ORIGINS: 'http://127.0.0.1:9999, http://127.0.0.1:9999/' });
    expect(local.embeddedSignup).toMatchObject({ sdkUrl: 'http://127.0.0.1:9999/sdk.js', origins: ['http://127.0.0.1:9999'] });
  });
});
