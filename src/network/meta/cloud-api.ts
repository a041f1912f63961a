// The Cloud API of a number on Meta's network, beyond sends: its media, its WABA's templates,
// its business profile and health live at Meta, so the Messaging API asks Meta for them, as
// 360dialog does ("a proxy of Meta's Cloud API with the /{PHONE_NUMBER_ID} and version prefix
// removed"). One instance per app (the messaging plugin's), with a Graph API client of its own:
// an agent beside the sender's, so that a slow template list never holds up a send's connection.
// The operations themselves are in media-proxy.ts, templates-proxy.ts, templates-360-list.ts and
// profile-proxy.ts.
import type { Deps } from '../../deps.ts';
import type { ChannelRow } from '../../services/channels.ts';
import type { MetaCredentials } from './channels.ts';
import { credentialsFor } from './channel-credentials.ts';
import type { GraphMetrics } from './graph-metrics.ts';
import { GraphClient, type GraphBody, type MediaDownload } from './graph-client.ts';
import { badAnswer, graphError } from './graph-errors.ts';
import { isObj } from '../../messaging/validate/check.ts';

export type GraphObject = Record<string, unknown>;
/** Options of one Graph request (graph-client.ts call()): answer size, deadline, authorization scheme. */
export type GraphCallOptions = NonNullable<Parameters<GraphClient['call']>[4]>;


/** `path?k=v&…` with the defined, non-empty values, encoded. */
export function withQuery(path: string, params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, v);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

export class MetaCloudApi {
  private readonly graph: GraphClient;

  constructor(
    readonly deps: Deps,
    metrics?: GraphMetrics,
  ) {
    this.graph = new GraphClient(deps.config, metrics);
  }

  /**
   * One Graph API request for the channel, its path built from its credentials (phone_number_id,
   * waba_id). Resolves with Meta's JSON object; rejects with Meta's error as the client gets it
   * (graph-errors.ts), or a 502 when a success carries no JSON object.
   */
  async json(channel: ChannelRow, method: 'GET' | 'POST' | 'DELETE', path: (c: MetaCredentials) => string, body?: GraphBody, opts?: GraphCallOptions): Promise<GraphObject> {
    const creds = await this.credentials(channel);
    return this.jsonAs(creds, method, path(creds), body, opts);
  }

  /** The channel's credentials, its sealed token opened (a database read and a decryption): once for a run of requests with jsonAs(). */
  credentials(channel: ChannelRow): Promise<MetaCredentials> {
    return credentialsFor(this.deps, channel);
  }

  /** json() with credentials already opened (credentials()), e.g. for each page of a list. */
  async jsonAs(creds: MetaCredentials, method: 'GET' | 'POST' | 'DELETE', path: string, body?: GraphBody, opts?: GraphCallOptions): Promise<GraphObject> {
    const answer = await this.graph.call(method, path, creds.accessToken, body, opts);
    if (answer.status >= 300) throw graphError(answer);
    if (!isObj(answer.body)) throw badAnswer(`HTTP ${answer.status} without a JSON object`);
    return answer.body;
  }

  /** A file from Meta's media CDN for the channel (graph-client.ts download()). */
  async download(channel: ChannelRow, pathAndQuery: string, maxBytes: number): Promise<MediaDownload> {
    const creds = await credentialsFor(this.deps, channel);
    return this.graph.download(pathAndQuery, creds.accessToken, maxBytes);
  }

  close(): Promise<void> {
    return this.graph.close();
  }
}
