// The template library for a number on Meta's network: Meta's own, GET /{version}/message_template_library
// (a node of Graph's root, not of the WABA), asked with the channel's access token, its filters and
// cursors passed on, and `{data, paging}` passed through with the paging URLs pointing at openwaba.
import type { ChannelRow } from '../../services/channels.ts';
import { LIBRARY_FILTERS, type LibraryQuery } from '../../messaging/templates/library-list.ts';
import { isObj } from '../../messaging/validate/check.ts';
import { withQuery, type GraphObject, type MetaCloudApi } from './cloud-api.ts';
import { TEMPLATE_LIST_MAX_BYTES } from './templates-proxy.ts';

const PASSED = [...LIBRARY_FILTERS, 'limit', 'after', 'before'] as const;

/** Meta's paging URL as ours (`<public url>/message_template_library?…`), its token parameters dropped. */
function ourLibraryPageUrl(publicUrl: string, metaUrl: unknown): string | undefined {
  if (typeof metaUrl !== 'string') return undefined;
  let url: URL;
  try {
    url = new URL(metaUrl);
  } catch {
    return undefined;
  }
  url.searchParams.delete('access_token');
  url.searchParams.delete('appsecret_proof');
  const q = url.searchParams.toString();
  return `${publicUrl}/message_template_library${q ? `?${q}` : ''}`;
}

export async function listMetaTemplateLibrary(api: MetaCloudApi, channel: ChannelRow, query: LibraryQuery): Promise<GraphObject> {
  const params: Record<string, string | undefined> = {};
  for (const k of PASSED) params[k] = query[k];
  const page = await api.json(channel, 'GET', () => withQuery('message_template_library', params), undefined, { maxBytes: TEMPLATE_LIST_MAX_BYTES });
  if (!isObj(page.paging)) return page;
  const paging: GraphObject = { ...page.paging };
  for (const k of ['next', 'previous'] as const) {
    if (paging[k] === undefined) continue;
    const url = ourLibraryPageUrl(api.deps.config.publicUrl, paging[k]);
    if (url) paging[k] = url;
    else delete paging[k];
  }
  return { ...page, paging };
}
