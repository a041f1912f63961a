// `openwaba onboarding-users list|rename|remove`: the login users of the partners' onboarding pages
// (as the admin API's /admin/onboarding_users). The way out of a partner change refused because
// the new partner already has an account with one of the moving client's login e-mails: rename or
// remove that account, then ask again. Each command prints the user(s) (never a password hash); a
// refusal (unknown user, invalid or taken e-mail) is a one-line message and exit code 2, as every
// CLI error.
import { parseLimit } from './options.ts';
import type { Command } from 'commander';
import type { Deps } from '../deps.ts';
import { listOnboardingUsers, ONBOARDING_USER_LIST, onboardingUserToWire, removeOnboardingUser, renameOnboardingUser } from '../services/onboarding-users.ts';

type WithDeps = <T>(fn: (deps: Deps) => Promise<T>) => Promise<T>;

const print = (value: unknown): void => void process.stdout.write(JSON.stringify(value, null, 2) + '\n');

export function addOnboardingUserCommands(program: Command, withDeps: WithDeps): void {
  const users = program.command('onboarding-users').description("Login users of the partners' onboarding pages (the clients' people)");

  users
    .command('list')
    .description('List users, newest first (at most --limit): id, partner, client, name, e-mail, created')
    .option('--partner <partner_id>', "a partner's users (…PA)")
    .option('--client <client_id>', "a client's users (…CL)")
    .option('--email <email>', 'the users with this e-mail (any case)')
    .option('--limit <n>', `1 to ${ONBOARDING_USER_LIST.maxLimit}`, String(ONBOARDING_USER_LIST.defaultLimit))
    .action((opts: { partner?: string; client?: string; email?: string; limit: string }) =>
      withDeps(async (deps) => {
        const limit = parseLimit(opts.limit, ONBOARDING_USER_LIST.maxLimit);
        const rows = await listOnboardingUsers(deps, { partnerId: opts.partner, clientId: opts.client, email: opts.email }, limit);
        print(rows.map(onboardingUserToWire));
      }),
    );

  users
    .command('rename')
    .description("Change a user's login e-mail (refused when another user of the same partner has it); the password stays")
    .argument('<user_id>', 'the user (obu_…)')
    .requiredOption('--email <email>', 'the new login e-mail')
    .action((userId: string, opts: { email: string }) =>
      withDeps(async (deps) => {
        print(onboardingUserToWire(await renameOnboardingUser(deps, userId, opts.email)));
      }),
    );

  users
    .command('remove')
    .description('Delete a user and end its sessions (logged out at once); its client and numbers stay')
    .argument('<user_id>', 'the user (obu_…)')
    .action((userId: string) =>
      withDeps(async (deps) => {
        const { user, sessionsEnded } = await removeOnboardingUser(deps, userId);
        print({ removed: onboardingUserToWire(user), sessions_ended: sessionsEnded });
      }),
    );
}
