// The Flow JSON textarea of the Hub's flow pages (new flow, and a DRAFT flow's page). Its form is
// application/x-www-form-urlencoded like every Hub form, read up to LONG_TEXT_FORM_BODY_LIMIT
// (context.ts), which holds the textarea's MAX_HUB_FLOW_JSON_CHARS however they encode. A bigger
// Flow JSON (Meta allows 10 MB) goes through the Partner API's upload,
// POST …/flows/{flow_id}/assets, which the page names.

import { jsonNestsDeeperThan } from '../../http/json-depth.ts';

export const MAX_HUB_FLOW_JSON_CHARS = 30_000;

/**
 * Deeper than this, a Flow JSON is shown as stored: pretty-printing indents every line by its
 * depth, so a deeply nested text (100,000 "[" parse fine) would grow quadratically. Meta's own
 * Flow JSON nests about a dozen levels.
 */
const PRETTY_MAX_DEPTH = 32;


/** The Flow JSON as the flow's page shows it: pretty-printed when it parses (and nests sanely), else as stored. */
export function prettyJson(text: string): string {
  if (jsonNestsDeeperThan(text, PRETTY_MAX_DEPTH)) return text;
  try {
    return JSON.stringify(JSON.parse(text.replace(/^\uFEFF/, '')), null, 2);
  } catch {
    // Not JSON: its validation errors say why, with lines and columns of the text as stored.
    return text;
  }
}

/** What a new flow's textarea starts with: one screen that passes the Flow JSON check. */
export const EXAMPLE_FLOW_JSON = `{
  "version": "7.0",
  "screens": [
    {
      "id": "WELCOME",
      "title": "Welcome",
      "terminal": true,
      "layout": {
        "type": "SingleColumnLayout",
        "children": [
          { "type": "TextHeading", "text": "Thanks for signing up" },
          {
            "type": "Footer",
            "label": "Done",
            "on-click-action": { "name": "complete", "payload": {} }
          }
        ]
      }
    }
  ]
}`;

export const tooLongForForm = (length: number) =>
  `flow_json: at most ${MAX_HUB_FLOW_JSON_CHARS.toLocaleString('en')} characters in the Hub's form (got ${length.toLocaleString('en')}); upload a bigger Flow JSON (up to 10 MB) with the Partner API: POST …/flows/{flow_id}/assets`;

export interface FlowJsonForm {
  text: string;
  max: number;
  /** Why the textarea does not hold the stored Flow JSON, when it does not. */
  note?: string;
}

/**
 * A DRAFT flow's textarea: what was typed (a refused upload), else the stored Flow JSON
 * (pretty-printed when that fits the form, else as stored), else nothing with a note.
 */
export function flowJsonForm(stored: string | null, pretty: string | undefined, typed?: string): FlowJsonForm {
  const max = MAX_HUB_FLOW_JSON_CHARS;
  if (typed !== undefined) return { text: typed, max };
  if (stored === null) return { text: EXAMPLE_FLOW_JSON, max, note: 'The flow has no Flow JSON yet: the form holds an example to start from.' };
  if (pretty !== undefined && pretty.length <= max) return { text: pretty, max };
  if (stored.length <= max) return { text: stored, max };
  return { text: '', max, note: `The stored Flow JSON (${stored.length.toLocaleString('en')} characters) is longer than this form takes; download it, and upload a changed one with the Partner API.` };
}
