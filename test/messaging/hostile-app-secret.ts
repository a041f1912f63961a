// Hostile-input profiles (hostile-input.test.ts) of the number's webhook app secret
// (routes/webhook-app-secret.ts): GET, PUT, POST and DELETE on /configs/app_secret (Cloud error
// format) and /v1/configs/app_secret (On-Premise). PUT takes {"app_secret":"…"} (its parser is the
// judge); POST and DELETE take no body (or {}): a body with anything in it is refused. The
// storm's number ends with a secret or without one: either way its webhooks still go out.
import { checkDeleteBody, checkGenerateBody, parseAppSecretBody } from '../../src/messaging/webhook-app-secret.ts';
import { validatedBy, type EndpointProfile } from './hostile-endpoints.ts';

export function appSecretEndpoints(): EndpointProfile[] {
  return [
    ['/v1/configs/app_secret', 'onpremise'],
    ['/configs/app_secret', 'cloud'],
  ].flatMap(([path, flavour]) => {
    const f = flavour as 'cloud' | 'onpremise';
    return [
      { method: 'GET', path: path!, flavour: f, body: 'none' },
      { method: 'PUT', path: path!, flavour: f, body: 'json', valid: [{ app_secret: 'hostile-app-secret-1' }, { app_secret: '0123456789abcdef0123456789abcdef' }], mayAccept: validatedBy(parseAppSecretBody) },
      { method: 'POST', path: path!, flavour: f, body: 'json', valid: [{}], mayAccept: validatedBy(checkGenerateBody) },
      { method: 'DELETE', path: path!, flavour: f, body: 'json', mayAccept: validatedBy(checkDeleteBody) },
    ] satisfies EndpointProfile[];
  });
}
