// Starting and stopping the server: migrations, first-start demo tenant, graceful SIGTERM.
import type { FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import { buildApp } from './app.ts';
import { systemClock, type Clock } from './clock.ts';
import { displayHost, type Config } from './config.ts';
import { openDb } from './db/index.ts';
import { putSetting } from './services/instance-settings.ts';
import { migrateToLatest } from './db/migrate.ts';
import type { Deps } from './deps.ts';
import { bootstrapTenant, type BootstrapResult } from './services/bootstrap.ts';
import { DEMO_PARTNER_RETURN_PATH, demoPartnerReturnUrl } from './web/onboarding/demo-partner-return.ts';
import { Dispatcher } from './webhooks/dispatcher.ts';
import { JobScheduler } from './jobs/scheduler.ts';
import { startMaintenance } from './maintenance.ts';
import fs from 'node:fs';
import { ConfigError } from './config-error.ts';
import { makeDirectory } from './make-directory.ts';

/**
 * On stop, how long idle keep-alive connections stay open (at least) to answer a request that a
 * client sent on one just as the stop began, instead of resetting it.
 */
export const CLOSE_GRACE_MS = 1_000;

export interface RunningServer {
  app: FastifyInstance;
  dispatcher: Dispatcher | undefined;
  deps: Deps;
  url: string;
  demo: DemoTenant | undefined;
  stop(): Promise<void>;
}

/** The demo tenant: a bootstrapped tenant whose onboarding ends on the built-in landing page. */
export interface DemoTenant extends BootstrapResult {
  partner_redirect_url: string;
}

/**
 * Creates the demo tenant once per database. The claim row makes concurrent first starts
 * (several instances on one PostgreSQL) create exactly one. Its partner_redirect_url is the
 * built-in landing page, so the onboarding link in the banner works without a site of one's own.
 */
async function createDemoOnce(deps: Deps): Promise<DemoTenant | undefined> {
  const hasPartner = await deps.db.kysely.selectFrom('partners').select('id').limit(1).executeTakeFirst();
  if (hasPartner) return undefined;
  const claim = await deps.db.kysely
    .insertInto('instance_settings')
    .values({ key: 'demo_tenant', value: deps.clock.now().toISOString() })
    .onConflict((oc) => oc.column('key').doNothing())
    .executeTakeFirst();
  if (Number(claim.numInsertedOrUpdatedRows ?? 0n) === 0) return undefined;
  try {
    // deps.config.publicUrl: the real port by now (PORT=0 is resolved before the demo is made).
    const partner_redirect_url = demoPartnerReturnUrl(deps.config.publicUrl);
    const tenant = await bootstrapTenant(deps, { brandName: 'Demo Partner', clientName: 'Demo Client', username: 'demo@openwaba.local', partnerRedirectUrl: partner_redirect_url });
    await putSetting(deps.db.kysely, DEMO_PARTNER_KEY, tenant.partner_id, { replace: false });
    await putSetting(deps.db.kysely, DEMO_REDIRECT_KEY, partner_redirect_url, { replace: false });
    return { ...tenant, partner_redirect_url };
  } catch (err) {
    await deps.db.kysely.deleteFrom('instance_settings').where('key', '=', 'demo_tenant').execute();
    throw err;
  }
}

/** instance_settings keys: the demo tenant's partner, and the redirect URL last written for it. */
const DEMO_PARTNER_KEY = 'demo_partner_id';
const DEMO_REDIRECT_KEY = 'demo_partner_redirect_url';


/**
 * On a later start the server may listen elsewhere (another PORT or OPENWABA_PUBLIC_URL): the demo
 * partner's partner_redirect_url, written at the first start, would then point at a port nothing
 * listens on. It is moved to this start's landing page, but only while it is still exactly the URL
 * openwaba wrote (kept beside the partner's id): a URL the partner set since, even one on the same
 * path, is left alone. A demo tenant made before these keys existed: the oldest partner named
 * 'Demo Partner' whose URL ends in the landing page's path is taken as that (and recorded).
 */
async function refreshDemoRedirect(deps: Deps): Promise<void> {
  const url = demoPartnerReturnUrl(deps.config.publicUrl);
  await deps.db.kysely.transaction().execute(async (tx) => {
    const settings = new Map((await tx.selectFrom('instance_settings').select(['key', 'value']).where('key', 'in', [DEMO_PARTNER_KEY, DEMO_REDIRECT_KEY]).execute()).map((r) => [r.key, r.value]));
    let partnerId = settings.get(DEMO_PARTNER_KEY);
    let written = settings.get(DEMO_REDIRECT_KEY);
    if (written === undefined) {
      // Not recorded (a demo tenant made before the keys, or with the partner's key only): its
      // URL now, if it is on the landing page's path, is taken as what openwaba wrote.
      const q = tx.selectFrom('partners').select(['id', 'partner_redirect_url']);
      const p = await (partnerId !== undefined ? q.where('id', '=', partnerId) : q.where('brand_name', '=', 'Demo Partner').orderBy('created_at').orderBy('id').limit(1)).executeTakeFirst();
      if (!p?.partner_redirect_url?.endsWith(DEMO_PARTNER_RETURN_PATH)) return;
      partnerId = p.id;
      written = p.partner_redirect_url;
      await putSetting(tx, DEMO_PARTNER_KEY, partnerId, { replace: false });
      await putSetting(tx, DEMO_REDIRECT_KEY, written, { replace: false });
    }
    if (partnerId === undefined || written === url) return;
    const res = await tx
      .updateTable('partners')
      .set({ partner_redirect_url: url, modified_at: deps.clock.now().toISOString() })
      .where('id', '=', partnerId)
      .where('partner_redirect_url', '=', written)
      .executeTakeFirst();
    // In the same transaction: the record never parts from the URL it names.
    if (Number(res.numUpdatedRows) > 0) await putSetting(tx, DEMO_REDIRECT_KEY, url, { replace: true });
  });
}

/**
 * The data directory (media, SQLite's default file) must be writable: checked at start, so that a
 * read-only one is a clear error then, not a 500 on the first upload.
 */
async function ensureWritableDataDir(dir: string): Promise<void> {
  try {
    makeDirectory(dir);
    await fs.promises.access(dir, fs.constants.W_OK);
  } catch (err) {
    throw new ConfigError(`OPENWABA_DATA_DIR ${dir} is not a writable directory: ${(err as Error).message}`);
  }
}

export async function startServer(config: Config, opts: { clock?: Clock; logStream?: DestinationStream } = {}): Promise<RunningServer> {
  await ensureWritableDataDir(config.dataDir);
  const db = openDb(config.databaseUrl, { backgroundCheckpoints: true });
  try {
    await migrateToLatest(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  const deps: Deps = { config, db, clock: opts.clock ?? systemClock };
  const app = await buildApp(deps, { logStream: opts.logStream, closeGraceMs: CLOSE_GRACE_MS });
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    await app.close();
    await db.close();
    throw err;
  }
  const dispatcher = config.dispatcher ? new Dispatcher(deps, { logger: app.log, registry: app.metricsRegistry }) : undefined;
  await dispatcher?.start();
  // Durable jobs (sandbox statuses, template reviews) run where deliveries run.
  const jobs = config.dispatcher ? new JobScheduler(deps, { logger: app.log }) : undefined;
  jobs?.start();
  const maintenance = startMaintenance(deps, app.log);
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  // PORT=0 picks a free port: the derived public URL (channel keys' `address`) names the real one.
  if (port !== config.port && /^https?:\/\/[^/]+:0$/.test(config.publicUrl)) {
    deps.config = { ...config, publicUrl: config.publicUrl.replace(/:0$/, `:${port}`) };
  }
  // After listen: if the port is taken, no demo secrets are created and lost unseen.
  const demo = config.demo ? await createDemoOnce(deps) : undefined;
  if (config.demo && !demo) await refreshDemoRedirect(deps);
  let stopping: Promise<void> | undefined;
  return {
    app,
    dispatcher,
    deps,
    url: `http://${displayHost(config.host)}:${port}`,
    demo,
    stop() {
      // Stops accepting, lets requests and deliveries in flight finish (and answers requests sent
      // meanwhile on connections already open: see http/graceful-close.ts), then closes the database.
      maintenance.stop();
      stopping ??= app
        .close()
        .then(() => jobs?.stop())
        .then(() => dispatcher?.stop())
        .then(() => db.close());
      return stopping;
    },
  };
}

/**
 * The block printed for a new tenant. The onboarding link is shown only for a tenant with a
 * redirect URL (the demo's): for any other it would end on the "no redirect URL" error page.
 */
export function demoBanner(url: string, d: BootstrapResult & { partner_redirect_url?: string }): string {
  const onboarding = d.partner_redirect_url
    ? [
        '  Integrated Onboarding (sign up a client, connect a sandbox number; ends on the demo partner\'s page):',
        `    ${url}/dashboard/app/${d.partner_id}/permissions`,
        '',
      ]
    : [];
  return [
    '',
    '  openwaba: first start, demo tenant created. Secrets are stored hashed: copy them now.',
    '',
    `  partner_id        ${d.partner_id}`,
    `  hub user          ${d.username}`,
    `  password          ${d.password}`,
    `  partner API key   ${d.partner_api_key}`,
    `  client_id         ${d.client_id}`,
    `  channel_id        ${d.channel_id}   (sandbox, +${d.phone_number})`,
    `  waba_account_id   ${d.waba_account_id}`,
    `  channel API key   ${d.channel_api_key}   (D360-API-KEY)`,
    '',
    '  Try it:',
    `    curl -s -H 'X-API-Key: ${d.partner_api_key}' ${url}/api/v2/partners/${d.partner_id}/channels`,
    '',
    ...onboarding,
  ].join('\n');
}
