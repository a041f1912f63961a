// `openwaba partner-changes create|list|cancel`: the operator's partner change requests, acting for
// a client (as the admin API's /admin/clients/{cid}/partner_change_requests). Approval stays the
// receiving partner's (Partner API, Hub). Each command prints the request(s) as the Partner API
// shows them; a refusal (unknown client or partner, one already pending, not pending any more) is
// a one-line message and exit code 2, as every CLI error.
import { parseLimit } from './options.ts';
import type { Command } from 'commander';
import type { Deps } from '../deps.ts';
import { ApiError } from '../errors.ts';
import {
  cancelPartnerChangeRequest,
  MAX_PCR_CHANNELS,
  operatorPartnerChangeRequests,
  pcrToWire,
  PCR_STATUSES,
  requestPartnerChange,
} from '../services/partner-change-requests.ts';
import type { Actor } from '../services/clients.ts';

type WithDeps = <T>(fn: (deps: Deps) => Promise<T>) => Promise<T>;

const OPERATOR: Actor = { user_id: 'cli', user_name: 'operator' };
const print = (value: unknown): void => void process.stdout.write(JSON.stringify(value, null, 2) + '\n');
const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function addPartnerChangeCommands(program: Command, withDeps: WithDeps): void {
  const pcr = program.command('partner-changes').description('Partner change requests: move a client (or some of its numbers) to another partner');

  pcr
    .command('create')
    .description('Ask, for a client, to move to another partner: all its numbers, or those named with --channel (repeatable)')
    .requiredOption('--client <client_id>', 'the moving client (…CL)')
    .requiredOption('--to <partner_id>', 'the new partner (…PA)')
    .option('--channel <channel_id>', 'move only this number (repeat for more)', collect, [] as string[])
    .action((opts: { client: string; to: string; channel: string[] }) =>
      withDeps(async (deps) => {
        if (opts.channel.length > MAX_PCR_CHANNELS) throw new ApiError(400, `--channel may be given at most ${MAX_PCR_CHANNELS} times`);
        const row = await requestPartnerChange(deps, { clientId: opts.client, newPartnerId: opts.to, ...(opts.channel.length ? { channelIds: opts.channel } : {}) }, OPERATOR);
        print(pcrToWire(row));
      }),
    );

  pcr
    .command('list')
    .description('List requests, newest first (at most --limit)')
    .option('--client <client_id>', "a client's requests (made by it, or the one that created it)")
    .option('--to <partner_id>', 'requests to this receiving partner')
    .option('--status <status>', PCR_STATUSES.join(' | '))
    .option('--limit <n>', '1 to 1000', '100')
    .action((opts: { client?: string; to?: string; status?: string; limit: string }) =>
      withDeps(async (deps) => {
        if (opts.status !== undefined && !(PCR_STATUSES as readonly string[]).includes(opts.status)) {
          throw new ApiError(400, `--status must be one of ${PCR_STATUSES.join(', ')}, not "${opts.status.slice(0, 20)}"`);
        }
        const limit = parseLimit(opts.limit, 1000);
        const rows = await operatorPartnerChangeRequests(deps, { clientId: opts.client, newPartnerId: opts.to, status: opts.status }, limit);
        print(rows.map(pcrToWire));
      }),
    );

  pcr
    .command('cancel')
    .description('Withdraw a pending request (it becomes cancelled; the receiving partner is told)')
    .requiredOption('--id <pcr_id>', 'the request (…PCR)')
    .action((opts: { id: string }) =>
      withDeps(async (deps) => {
        print(pcrToWire(await cancelPartnerChangeRequest(deps, opts.id, {}, OPERATOR)));
      }),
    );
}
