// Per-type validation of a message's type object, against Meta's limits. Each validator (one
// file per type under ./types/) returns the accepted content (and the template or media it
// refers to) or throws a 400 naming the exact field.
import type { Flavour, TypeResult } from './types/common.ts';
import { contacts } from './types/contacts.ts';
import { interactive } from './types/interactive.ts';
import { location } from './types/location.ts';
import { media } from './types/media.ts';
import { reaction } from './types/reaction.ts';
import { template } from './types/template.ts';
import { text } from './types/text.ts';

export type { Flavour, TypeResult } from './types/common.ts';

export const MESSAGE_TYPES = ['text', 'image', 'audio', 'video', 'document', 'sticker', 'location', 'contacts', 'interactive', 'template', 'reaction'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export function validateType(type: MessageType, value: unknown, field: string, flavour: Flavour): TypeResult {
  switch (type) {
    case 'text':
      return text(value, field);
    case 'image':
    case 'audio':
    case 'video':
    case 'document':
    case 'sticker':
      return media(value, field, type, flavour);
    case 'location':
      return location(value, field);
    case 'contacts':
      return contacts(value, field);
    case 'interactive':
      return interactive(value, field, flavour);
    case 'template':
      return template(value, field, flavour);
    case 'reaction':
      return reaction(value, field);
  }
}
