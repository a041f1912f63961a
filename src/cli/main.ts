// The `openwaba` command: start, migrate, bootstrap, and operator tasks.
import { Command, Option } from 'commander';
import { ConfigError, loadConfig, type Config } from '../config.ts';
import { systemClock } from '../clock.ts';
import type { Deps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import { addPartnerChangeCommands } from './partner-changes.ts';
import { addOnboardingUserCommands } from './onboarding-users.ts';

// The modules a command needs are imported when it runs, not here: the whole server (Fastify, the
// pages, every route) took 3 s to load through tsx for a `--help` or a `keys create`, and a
// configuration error is now answered before any of it loads.

/** Opens the database, brings it up to date (unless told not to), runs fn, closes it. */
async function withDeps<T>(fn: (deps: Deps) => Promise<T>, opts: { migrate?: boolean } = {}): Promise<T> {
  const config = loadConfig();
  const [{ openDb }, { migrateToLatest }] = await Promise.all([import('../db/index.ts'), import('../db/migrate.ts')]);
  const db = openDb(config.databaseUrl, { poolSize: 2 });
  try {
    if (opts.migrate !== false) await migrateToLatest(db);
    return await fn({ config, db, clock: systemClock });
  } finally {
    await db.close();
  }
}

const print = (value: unknown): void => void process.stdout.write(JSON.stringify(value, null, 2) + "\n");

async function start(): Promise<void> {
  const config: Config = loadConfig();
  const { demoBanner, startServer } = await import('../server.ts');
  const server = await startServer(config);
  if (server.demo) process.stdout.write(demoBanner(server.url, server.demo) + '\n');
  process.stdout.write(`openwaba listening on ${server.url}  (API docs: ${server.url}/docs)\n`);
  const shutdown = (signal: string) => {
    server.app.log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      server.app.log.error('shutdown took longer than 30 s; exiting');
      process.exit(1);
    }, 30_000);
    force.unref();
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        server.app.log.error({ err }, 'error while shutting down');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

export function buildCli(): Command {
  const program = new Command('openwaba').description("Self-hostable WhatsApp Business API platform speaking 360dialog's wire protocol");
  program.command('start').description('Run the server (PORT, HOST, DATABASE_URL, LOG_LEVEL)').action(start);

  program
    .command('migrate')
    .description('Bring the database schema up to date')
    .action(() =>
      withDeps(async (deps) => {
        const { migrateToLatest } = await import('../db/migrate.ts');
        const applied = await migrateToLatest(deps.db);
        process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'database is up to date\n');
      }, { migrate: false }),
    );

  program
    .command('bootstrap')
    .description('Create a partner with hub user, partner API key, client, sandbox channel and channel API key')
    .option('--json', 'print one JSON object')
    .option('--brand-name <name>', 'partner brand name')
    .option('--username <email>', 'hub user name (default: generated)')
    .option('--password <password>', 'hub user password (default: generated)')
    .action((opts: { json?: boolean; brandName?: string; username?: string; password?: string }) =>
      withDeps(async (deps) => {
        const [{ bootstrapTenant }, { demoBanner }] = await Promise.all([import('../services/bootstrap.ts'), import('../server.ts')]);
        const r = await bootstrapTenant(deps, { brandName: opts.brandName, username: opts.username, password: opts.password });
        if (opts.json) print(r);
        else process.stdout.write(demoBanner(deps.config.publicUrl, r).replace('first start, demo tenant created', 'tenant created') + '\n');
      }),
    );

  const partners = program.command('partners').description('Manage partners');
  partners
    .command('create')
    .description('Create a partner and its first hub user')
    .requiredOption('--name <brand>', 'brand name')
    .requiredOption('--username <email>', 'hub user name')
    .option('--password <password>', 'password (default: generated and printed once)')
    .addOption(new Option('--country <cc>', 'two-letter country code'))
    .action((opts: { name: string; username: string; password?: string; country?: string }) =>
      withDeps(async (deps) => {
        const [{ newPassword }, { createPartnerWithHubUser }] = await Promise.all([import('../crypto.ts'), import('../services/partners.ts')]);
        const password = opts.password ?? newPassword();
        const { partner, user } = await createPartnerWithHubUser(deps, { partner: { brand_name: opts.name, country: opts.country?.toUpperCase() ?? null }, username: opts.username, password });
        print({ partner_id: partner.id, brand_name: partner.brand_name, username: user.username, ...(opts.password ? {} : { password }) });
      }),
    );
  partners
    .command('list')
    .description('List partners')
    .action(() => withDeps(async (deps) => print((await (await import('../services/partners.ts')).listPartners(deps)).map((p) => ({ id: p.id, brand_name: p.brand_name, created_at: p.created_at })))));

  const keys = program.command('keys').description('Manage API keys');
  keys
    .command('create')
    .description('Create a partner API key (X-API-Key), or with --channel a channel API key (D360-API-KEY)')
    .requiredOption('--partner <partner_id>', 'partner id (…PA)')
    .option('--name <name>', 'key name', 'cli')
    .option('--channel <channel_id>', 'create a D360-API-KEY for this channel instead (revokes its earlier keys)')
    .action((opts: { partner: string; name: string; channel?: string }) =>
      withDeps(async (deps) => {
        const [{ getPartner }, { getChannel }, { createChannelApiKey }, { createPartnerApiKey }] = await Promise.all([
          import('../services/partners.ts'),
          import('../services/channels.ts'),
          import('../services/channel-api-keys.ts'),
          import('../services/partner-api-keys.ts'),
        ]);
        await getPartner(deps, opts.partner);
        if (opts.channel) print(await createChannelApiKey(deps, await getChannel(deps, opts.partner, opts.channel)));
        else print(await createPartnerApiKey(deps, opts.partner, opts.name));
      }),
    );
  const channels = program.command('channels').description("Move a channel between the sandbox and Meta's Cloud API");
  channels
    .command('meta')
    .description(
      "Put a channel on Meta's Cloud API (or replace its credentials). The access token is read from standard input, never taken as an argument (it would stay in the shell's history and the process list); needs OPENWABA_SECRET_KEY",
    )
    .requiredOption('--partner <partner_id>', 'partner id (…PA)')
    .requiredOption('--channel <channel_id>', 'channel id (…CH)')
    .requiredOption('--phone-number-id <id>', "Meta's phone number id")
    .requiredOption('--waba-id <id>', "Meta's WhatsApp Business Account id")
    .option('--no-verify', 'attach without asking Meta about the number first (by default a wrong id or token is refused with Meta\'s reason)')
    .action((opts: { partner: string; channel: string; phoneNumberId: string; wabaId: string; verify: boolean }) =>
      withDeps(async (deps) => {
        const [{ getChannel, getChannelWire }, { attachVerified }] = await Promise.all([import('../services/channels.ts'), import('../network/meta/number-check.ts')]);
        await getChannel(deps, opts.partner, opts.channel);
        const accessToken = await readToken();
        await attachVerified(deps, opts.channel, { phoneNumberId: opts.phoneNumberId, wabaId: opts.wabaId, accessToken }, opts.verify);
        print(await getChannelWire(deps, opts.partner, opts.channel));
      }),
    );
  channels
    .command('sandbox')
    .description("Return a channel from Meta's Cloud API to the sandbox (its sealed token is deleted)")
    .requiredOption('--partner <partner_id>', 'partner id (…PA)')
    .requiredOption('--channel <channel_id>', 'channel id (…CH)')
    .action((opts: { partner: string; channel: string }) =>
      withDeps(async (deps) => {
        const [{ getChannel, getChannelWire }, { detachMetaChannel }] = await Promise.all([import('../services/channels.ts'), import('../network/meta/channels.ts')]);
        await getChannel(deps, opts.partner, opts.channel);
        await detachMetaChannel(deps, opts.channel);
        print(await getChannelWire(deps, opts.partner, opts.channel));
      }),
    );
  program
    .command('backup')
    .description('Copy the SQLite database (one consistent snapshot, while the server runs) and the media into a new or empty directory')
    .argument('<dir>', 'the directory to write the backup to (openwaba.db and media/)')
    .option('--json', 'print one JSON object')
    .action(async (dir: string, opts: { json?: boolean }) => {
      const { backup } = await import('./backup.ts');
      const r = await backup(loadConfig(), dir);
      if (opts.json) print(r);
      else
        process.stdout.write(
          `backup written: ${r.database} (${r.database_bytes} bytes, schema ${r.schema ?? 'empty'}), ${r.media_files} media files (${r.media_bytes} bytes), in ${r.took_ms} ms\n`,
        );
    });
  program
    .command('restore')
    .description('Put a backup made by `openwaba backup` in place of the SQLite database and media (the server stopped)')
    .argument('<dir>', 'the backup directory (openwaba.db and media/)')
    .option('--force', 'replace an existing database (it is kept, renamed to <file>.replaced-<time>)')
    .option('--json', 'print one JSON object')
    .action(async (dir: string, opts: { force?: boolean; json?: boolean }) => {
      const { restore } = await import('./restore.ts');
      const r = await restore(loadConfig(), dir, { force: opts.force });
      if (opts.json) print(r);
      else
        process.stdout.write(
          `restored: ${r.database} (schema ${r.schema ?? 'empty'}), ${r.media_files} media files${r.replaced.length ? `; moved aside: ${r.replaced.join(', ')}` : ''}\n`,
        );
    });
  program
    .command('doctor')
    .description('Check the installation: configuration, database, migrations, data directory, server, secrets (exit 1 when a check fails)')
    .option('--json', 'print a JSON array of {check, status, detail}')
    .action(async (opts: { json?: boolean }) => {
      const { doctor, formatChecks } = await import('./doctor.ts');
      const results = await doctor();
      if (opts.json) print(results);
      else process.stdout.write(formatChecks(results));
      if (results.some((r) => r.status === 'fail')) process.exitCode = 1;
    });
  addPartnerChangeCommands(program, withDeps);
  addOnboardingUserCommands(program, withDeps);
  return program;
}

/** The first line of standard input (a token piped in), at most 4 KiB. */
async function readToken(): Promise<string> {
  // Typed at a terminal it would be echoed and stay in the scrollback: piped only.
  if (process.stdin.isTTY) throw new ApiError(400, 'pipe the access token in on standard input (printf %s "$TOKEN" | openwaba channels meta …), it is not read from a terminal');
  let text = '';
  for await (const chunk of process.stdin) {
    text += String(chunk);
    if (text.includes('\n') || text.length > 4096) break;
  }
  const token = text.split(/\r?\n/)[0]!.trim();
  if (!token) throw new ApiError(400, 'no access token on standard input (pipe it in: printf %s "$TOKEN" | openwaba channels meta …)');
  return token;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildCli().parseAsync(argv);
  } catch (err) {
    const code = (err as { code?: string }).code;
    const syscall = (err as { syscall?: string }).syscall;
    // Only the listening socket's errors: an EACCES from mkdir or open is the database's or the data directory's.
    if ((code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') && (syscall === undefined || syscall === 'listen' || syscall === 'bind')) {
      process.stderr.write(`openwaba: cannot listen: ${(err as Error).message}. Set PORT or HOST to another value.\n`);
      process.exit(1);
    }
    if (err instanceof ConfigError || err instanceof ApiError) {
      process.stderr.write(`openwaba: ${err.message}\n`);
      process.exit(2);
    }
    if (isDatabaseUnavailable(err)) {
      process.stderr.write(`openwaba: cannot open the database named by DATABASE_URL: ${(err as Error).message}\n`);
      process.exit(1);
    }
    throw err;
  }
}

/** Unreachable server, refused login, missing database or unopenable file: the operator's to fix. */
function isDatabaseUnavailable(err: unknown): boolean {
  const code = String((err as { code?: unknown }).code ?? '');
  if ((err as { syscall?: unknown }).syscall === 'mkdir') return true; // the SQLite file's directory
  return (
    ['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET', 'SQLITE_CANTOPEN', 'SQLITE_NOTADB'].includes(code) ||
    // PostgreSQL: connection exceptions (08), invalid authorization (28), unknown database (3D000).
    /^(08|28)...$/.test(code) ||
    code === '3D000'
  );
}
