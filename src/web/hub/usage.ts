// Usage: messages and price per client and month (services/usage.ts counts them from the
// stored messages), for a range of months, one page of clients at a time.
import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../../deps.ts';
import { ApiError, badRequest } from '../../errors.ts';
import { listClients } from '../../services/clients.ts';
import { computeUsageByClient, CURRENCY, MAX_PERIODS, parseUsageQuery, periodsOf, type UsageWindow } from '../../services/usage.ts';
import { field, hubOf, hubPage, pager, partnerPath, PAGE_SIZES } from './context.ts';

const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

function monthStart(name: string, v: string): number {
  const m = MONTH.exec(v);
  if (!m) throw badRequest(`${name} must be a month like 2026-01, got "${v.slice(0, 40)}"`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, 1);
}

const monthOf = (ms: number) => new Date(ms).toISOString().slice(0, 7);

export const usagePages: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.get('/usage', { schema: { hide: true } }, async (request, reply) => {
    const { partnerId } = hubOf(request);
    const q = request.query;
    const now = deps.clock.now();
    const thisMonth = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
    const form = {
      from: field(q, 'from', 20)?.trim() || monthOf(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 5, 1)),
      to: field(q, 'to', 20)?.trim() || monthOf(thisMonth),
      limit: field(q, 'limit', 10) || '10',
      offset: field(q, 'offset', 20) || '0',
    };
    let window: UsageWindow | undefined;
    let problem: string | undefined;
    try {
      const from = monthStart('From', form.from);
      const to = monthStart('To', form.to);
      // In the form's own words (months); the API's checks below speak in Unix timestamps.
      if (from > to) throw badRequest(`From (${form.from}) must not be after To (${form.to})`);
      const span = (new Date(to).getUTCFullYear() - new Date(from).getUTCFullYear()) * 12 + new Date(to).getUTCMonth() - new Date(from).getUTCMonth() + 1;
      if (span > MAX_PERIODS.MONTH) throw badRequest(`From ${form.from} to ${form.to} is ${span} months; at most ${MAX_PERIODS.MONTH} are shown at once`);
      const end = Date.UTC(new Date(to).getUTCFullYear(), new Date(to).getUTCMonth() + 1, 1) / 1000 - 1;
      // The same window rules as GET …/info/balance (at most 120 months, start not after end).
      window = parseUsageQuery({ start_date: String(from / 1000), end_date: String(end), granularity: 'MONTH' }, now);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 400) throw err;
      problem = err.message;
    }
    const list = await listClients(deps, partnerId, { limit: form.limit, offset: form.offset, sort: 'name' });
    // One grouped query for the whole page of clients.
    const usageOf = window ? await computeUsageByClient(deps, { partnerId, clientIds: list.clients.map((c) => c.id) }, window) : undefined;
    const rows = usageOf
      ? list.clients.map((c) => {
          const usage = usageOf.get(c.id)!;
          const total = usage.reduce((a, u) => ({ quantity: a.quantity + u.quantity, price: a.price + u.total_price }), { quantity: 0, price: 0 });
          return {
            id: c.id,
            name: c.name,
            months: usage.map((u) => ({ quantity: u.quantity, business: u.business_initiated_quantity, user: u.user_initiated_quantity, price: u.total_price.toFixed(4) })),
            total: { quantity: total.quantity, price: total.price.toFixed(4) },
          };
        })
      : [];
    const months = window ? periodsOf(window).map(monthOf) : [];
    return hubPage(
      reply,
      request,
      'hub/usage',
      {
        title: 'Usage',
        nav: 'usage',
        form: { ...form, limit: String(list.limit) },
        sizes: PAGE_SIZES,
        currency: CURRENCY,
        problem,
        months,
        rows,
        pager: pager(partnerPath(partnerId, '/usage'), { from: form.from, to: form.to }, list),
      },
      problem ? 400 : 200,
    );
  });
};
