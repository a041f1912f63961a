// The template library for a number on Meta's network: Meta's own, GET /{version}/message_template_library
// (a node of Graph's root, not of the WABA), asked with the channel's access token, its filters and
// cursors passed on, and `{data, paging}` passed through with the paging URLs pointing at openwaba.
import type { ChannelRow } from '../../services/channels.ts';
import { LIBRARY_FILTERS, type LibraryQuery } from '../../messaging/templates/library-list.ts';
import { withQuery, type GraphObject, type MetaCloudApi } from './cloud-api.ts';
import { TEMPLATE_LIST_MAX_BYTES, withOurPaging } from './templates-proxy.ts';

const PASSED = [...LIBRARY_FILTERS, 'limit', 'after', 'before'] as const;

export async function listMetaTemplateLibrary(api: MetaCloudApi, channel: ChannelRow, query: LibraryQuery): Promise<GraphObject> {
  const params: Record<string, string | undefined> = {};
  for (const k of PASSED) params[k] = query[k];
  const page = await api.json(channel, 'GET', () => withQuery('message_template_library', params), undefined, { maxBytes: TEMPLATE_LIST_MAX_BYTES });
  return withOurPaging(api.deps.config.publicUrl, page, '/message_template_library');
}
