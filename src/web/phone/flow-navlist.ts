// A NavigationList (Flow JSON 6.2+) on the sandbox phone: a list of 1 to 20 items, each with its
// main content (title, description, metadata), an optional start image, end texts, a badge and
// tags, and the action it runs when tapped — its own on-click-action, or the list's (navigate or
// data_exchange: flow-run.ts runNavItem). An item's button names it by the list's path in the
// layout, then "list-items" and its index.
import { resolve, text, type Scope, type Values } from './flow-expr.ts';
import type { Component } from './flow-fields.ts';
import type { Path } from './flow-screen.ts';

/** An item of a NavigationList (Flow JSON 6.2+): its texts, and the action it runs (its path and index), if any. */
export interface NavItem {
  title: string;
  description?: string;
  metadata?: string;
  end?: string;
  badge?: string;
  tags: string[];
  image?: string;
  action?: string;
}

/** The most items a NavigationList shows (Meta: 1 to 20). */
export const MAX_NAV_ITEMS = 20;

/** A NavigationList's items (`list-items`: an array, or a reference to one), at most MAX_NAV_ITEMS. */
export function navItemsOf(c: Component, scope: Scope): Values[] {
  const items = resolve(c['list-items'], scope);
  return Array.isArray(items) ? items.slice(0, MAX_NAV_ITEMS).filter((x): x is Values => x !== null && typeof x === 'object' && !Array.isArray(x)) : [];
}

const isObj = (v: unknown): v is Values => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The view node of a NavigationList at `path`: its label, description and items, each item's texts escaped by the view. */
export function navListNode(c: Component, path: Path, scope: Scope): { kind: 'navlist'; label?: string; description?: string; items: NavItem[] } {
  const listAction = isObj(c['on-click-action']);
  const opt = (v: unknown) => (v === undefined ? undefined : text(v, scope) || undefined);
  const items = navItemsOf(c, scope).map((item, i): NavItem => {
    const main = isObj(item['main-content']) ? item['main-content'] : {};
    const end = isObj(item.end) ? item.end : {};
    const endText = [opt(end.title), opt(end.description), opt(end.metadata)].filter((x) => x !== undefined).join(' · ');
    const tags = Array.isArray(item.tags) ? item.tags.slice(0, 3).map((x) => text(x, scope)).filter(Boolean) : [];
    const start = isObj(item.start) ? item.start : undefined;
    const fields = { description: opt(main.description), metadata: opt(main.metadata), end: endText || undefined, badge: opt(item.badge), image: start && start.image !== undefined ? text(start['alt-text'], scope) || 'Image' : undefined };
    return {
      title: text(main.title ?? item.id, scope),
      tags,
      ...Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)),
      ...(listAction || isObj(item['on-click-action']) ? { action: JSON.stringify([...path, 'list-items', i]) } : {}),
    };
  });
  const label = opt(c.label);
  const description = opt(c.description);
  return { kind: 'navlist', ...(label ? { label } : {}), ...(description ? { description } : {}), items };
}
