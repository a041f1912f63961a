import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { Deps } from '../../deps.ts';
import { getWabaAccount, wabaAccountToWire } from '../../services/waba-accounts.ts';
import { WabaAccount, PARTNER_ERRORS, PARTNER_SECURITY } from '../schemas.ts';
import { wabaAccountStanding } from '../../messaging/waba-restrictions.ts';


export const wabaAccountRoutes: FastifyPluginAsync<{ deps: Deps }> = async (fastify, { deps }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/partners/:partner_id/waba_accounts/:waba_account_id',
    {
      schema: {
        tags: ['WABA accounts'],
        summary: 'Retrieve a WABA account',
        security: PARTNER_SECURITY,
        params: Type.Object({ partner_id: Type.String({ maxLength: 64 }), waba_account_id: Type.String({ maxLength: 64 }) }),
        response: { 200: WabaAccount, ...PARTNER_ERRORS },
      },
    },
    async (request) => {
      const waba = await getWabaAccount(deps, request.params.partner_id, request.params.waba_account_id);
      // status: account_restriction while a restriction of the WABA lasts, account_banned while it
      // is banned (messaging/waba-restrictions.ts).
      const { restrictions, bannedAt } = await wabaAccountStanding(deps.db.kysely, waba.id, deps.clock.now().getTime());
      return wabaAccountToWire(waba, restrictions, bannedAt);
    },
  );
};
