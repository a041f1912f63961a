// The template library for a number on Meta's network: Meta's own, GET /{version}/message_template_library
// (a node of Graph's root, not of the WABA), asked with the channel's access token, its filters and
// cursors passed on, and `{data, paging}` passed through with the paging URLs the caller's (page-links.ts).
import type { ChannelRow } from '../../services/channels.ts';
import { LIBRARY_FILTERS, type LibraryQuery } from '../../messaging/templates/library-list.ts';
import { withQuery, type GraphObject, type MetaCloudApi } from './cloud-api.ts';
import { TEMPLATE_LIST_MAX_BYTES } from './templates-proxy.ts';
import { withCallerPaging, type CallerPageUrl } from '../../messaging/page-links.ts';

const PASSED = [...LIBRARY_FILTERS, 'limit', 'after', 'before'] as const;

export async function listMetaTemplateLibrary(api: MetaCloudApi, channel: ChannelRow, query: LibraryQuery, pageUrl: CallerPageUrl): Promise<GraphObject> {
  const params: Record<string, string | undefined> = {};
  for (const k of PASSED) params[k] = query[k];
  const page = await api.json(channel, 'GET', () => withQuery('message_template_library', params), undefined, { maxBytes: TEMPLATE_LIST_MAX_BYTES });
  return withCallerPaging(page, pageUrl);
}
