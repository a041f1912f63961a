// Configuration values that used to pass loadConfig and fail later (a 500 on the first template,
// a TypeError on the first request behind a proxy, a 500 on the first upload): refused at start
// with a ConfigError that names the setting.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.ts';
import { makeDirectory } from '../src/make-directory.ts';
import { startServer } from '../src/server.ts';

describe('durations', () => {
  it('at most 24 days (a Node timer holds no more), named in the message', () => {
    expect(loadConfig({ OPENWABA_TEMPLATE_REVIEW_DELAY: '24d' }).templateReviewMs).toBe(24 * 86_400_000);
    for (const [name, value] of [
      ['OPENWABA_TEMPLATE_REVIEW_DELAY', '999999999d'],
      ['OPENWABA_ONBOARDING_SETUP_DELAY', '25d'],
      ['OPENWABA_WEBHOOK_TIMEOUT', '999999999d'],
      ['OPENWABA_SANDBOX_STATUS_DELAYS', 'sent=1s,delivered=2s,read=999999999d'],
    ] as const) {
      expect(() => loadConfig({ [name]: value }), name).toThrow(ConfigError);
      expect(() => loadConfig({ [name]: value }), name).toThrow(new RegExp(`${name}: ".*" is longer than the longest duration allowed, 24d`));
    }
  });
});

describe('OPENWABA_TRUST_PROXY', () => {
  it('true/false in any case, 1/0, or addresses, CIDR ranges and the named ranges', () => {
    expect(loadConfig({ OPENWABA_TRUST_PROXY: 'TRUE' }).trustProxy).toBe(true);
    expect(loadConfig({ OPENWABA_TRUST_PROXY: '1' }).trustProxy).toBe(true);
    expect(loadConfig({ OPENWABA_TRUST_PROXY: 'False' }).trustProxy).toBe(false);
    expect(loadConfig({ OPENWABA_TRUST_PROXY: '0' }).trustProxy).toBe(false);
    expect(loadConfig({ OPENWABA_TRUST_PROXY: '10.0.0.1, 192.168.0.0/16,loopback, fd00::/8' }).trustProxy).toBe('10.0.0.1, 192.168.0.0/16,loopback, fd00::/8');
  });

  it.each(['yes', '300.1.1.1', '10.0.0.0/33', '::1/129', '10.0.0.1/8/8', 'proxy.example.com'])('%s → ConfigError naming it', (value) => {
    expect(() => loadConfig({ OPENWABA_TRUST_PROXY: value })).toThrow(/OPENWABA_TRUST_PROXY: ".*" is neither true\/false nor an address/);
  });
});

describe('OPENWABA_DATA_DIR', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openwaba-datadir-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('one that cannot be made a writable directory stops the start with a ConfigError, before anything listens', async () => {
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, 'not a directory');
    const config = loadConfig({ DATABASE_URL: `sqlite:${path.join(dir, 'db.sqlite')}`, PORT: '0', OPENWABA_DATA_DIR: path.join(file, 'data'), LOG_LEVEL: 'silent', OPENWABA_DEMO: 'false' });
    await expect(startServer(config)).rejects.toThrow(/^OPENWABA_DATA_DIR .*a-file\/data is not a writable directory/);
    await expect(startServer(config)).rejects.toBeInstanceOf(ConfigError);
  });

  // Node's recursive mkdir retried for ever there (procfs refuses a new entry with ENOENT): the start hung.
  it.runIf(fs.existsSync('/proc/self'))('one under /proc: a ConfigError at once, not a hang', async () => {
    const config = loadConfig({ DATABASE_URL: `sqlite:${path.join(dir, 'db.sqlite')}`, PORT: '0', OPENWABA_DATA_DIR: '/proc/openwaba-data', LOG_LEVEL: 'silent', OPENWABA_DEMO: 'false' });
    await expect(startServer(config)).rejects.toThrow(/^OPENWABA_DATA_DIR \/proc\/openwaba-data is not a writable directory: ENOENT/);
  });
});

describe('makeDirectory', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openwaba-mkdir-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('makes the missing levels; an existing directory is fine', () => {
    const deep = path.join(dir, 'a', 'b', 'c');
    makeDirectory(deep);
    expect(fs.statSync(deep).isDirectory()).toBe(true);
    makeDirectory(deep);
    makeDirectory(path.join(dir, 'a'));
    expect(fs.readdirSync(path.join(dir, 'a'))).toEqual(['b']);
  });

  it('a file on the way: ENOTDIR; a refusing parent: its error, thrown once', () => {
    const file = path.join(dir, 'file');
    fs.writeFileSync(file, 'x');
    expect(() => makeDirectory(path.join(file, 'sub'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
    expect(() => makeDirectory(file)).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
    if (fs.existsSync('/proc/self')) expect(() => makeDirectory('/proc/openwaba-x/y')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });
});
