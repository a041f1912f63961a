// The WhatsApp Flows routes of the Messaging API (routes/flows.ts): their shared constants and
// TypeBox schemas, in Meta's Flows API shapes (a flow as the Partner API's flow routes answer it).
import { Type } from 'typebox';
import { Flow, ValidationError } from '../../partner-api/routes/flows.ts';

export const security: { [k: string]: string[] }[] = [{ D360ApiKey: [] }];
export const tags = ['WhatsApp Flows (Cloud)'];
export const cloud = { flavour: 'cloud' as const };
/** Meta's flow ids are digits (ours 16); anything else is no flow of anyone's. */
export const FLOW_ID = /^\d{1,32}$/;

export const FlowParams = Type.Object({ flow_id: Type.String({ maxLength: 64 }) });
export const Fields = Type.Optional(Type.String({ maxLength: 500, description: 'Comma-separated: id, name, status, categories, validation_errors, json_version, data_api_version, endpoint_uri, whatsapp_business_account (one flow also: preview, preview.invalidate(true|false), health_status)' }));
export const ListQuery = Type.Object({
  fields: Fields,
  limit: Type.Optional(Type.String({ maxLength: 20, description: 'Page size (default 25, at most 1000)' })),
  after: Type.Optional(Type.String({ maxLength: 200, description: 'paging.cursors.after of the previous page' })),
  before: Type.Optional(Type.String({ maxLength: 200, description: 'paging.cursors.before of the next page' })),
});
const Paging = Type.Object(
  {
    cursors: Type.Optional(Type.Object({ before: Type.String(), after: Type.String() })),
    next: Type.Optional(Type.String()),
    previous: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);
export const FlowList = Type.Object({ data: Type.Array(Flow), paging: Type.Optional(Paging) }, { additionalProperties: true });
export const Created = Type.Object({ id: Type.String(), success: Type.Optional(Type.Boolean()), validation_errors: Type.Optional(Type.Array(ValidationError)) }, { additionalProperties: true });
export const Success = Type.Object({ success: Type.Boolean() }, { additionalProperties: true });
export const AssetResult = Type.Object({ success: Type.Boolean(), validation_errors: Type.Optional(Type.Array(ValidationError)) }, { additionalProperties: true });
export const AssetList = Type.Object(
  { data: Type.Array(Type.Object({ name: Type.String(), asset_type: Type.String(), download_url: Type.String() }, { additionalProperties: true })), paging: Type.Optional(Paging) },
  { additionalProperties: true },
);
/** The typed fields of a form or multipart creation: strings converted as form-body.ts converts them. */
export const CreateFormFields = Type.Object({ publish: Type.Optional(Type.Boolean()) });
export const CREATE_DESCRIPTION =
  'Body as JSON, application/x-www-form-urlencoded or multipart/form-data (as Meta takes it): name, categories (an array, or the array as a JSON string: ' +
  '["SIGN_UP"|"SIGN_IN"|"APPOINTMENT_BOOKING"|"LEAD_GENERATION"|"SHOPPING"|"CONTACT_US"|"CUSTOMER_SUPPORT"|"SURVEY"|"OTHER"]), flow_json? (the Flow JSON as a string), publish?, clone_flow_id?, endpoint_uri?. ' +
  'Answers {id, success:true} and, with flow_json, its validation_errors.';
