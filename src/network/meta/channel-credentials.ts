// The credentials every request to Meta for a channel is made with (a send, a media or template
// request), or 360dialog's 502 when the channel has none that open: a client cannot repair that,
// the operator must attach the number again.
import type { Deps } from '../../deps.ts';
import { ApiError } from '../../errors.ts';
import { metaError } from '../../messaging/errors.ts';
import type { ChannelRow } from '../../services/channels.ts';
import { metaCredentials, type MetaCredentials } from './channels.ts';
import { SecretBoxError } from './secret-box.ts';

export async function credentialsFor(deps: Deps, channel: ChannelRow): Promise<MetaCredentials> {
  let creds: MetaCredentials | undefined;
  try {
    creds = await metaCredentials(deps, channel.id);
  } catch (err) {
    // No OPENWABA_SECRET_KEY now (ApiError 409), or another one than sealed the token.
    if (!(err instanceof SecretBoxError) && !(err instanceof ApiError)) throw err;
    throw metaError(502, 131000, 'Something went wrong', "WhatsApp for Business API not available: this number's Meta access token cannot be opened with the OPENWABA_SECRET_KEY set now; attach the number again");
  }
  if (!creds) throw metaError(502, 131000, 'Something went wrong', 'WhatsApp for Business API not available: this number has no Meta credentials; attach it again');
  return creds;
}
