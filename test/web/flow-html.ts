// Reading the sandbox phone's flow page (plain HTML, no script needed) in the flow tests: the
// state and action tokens its forms post, the errors and the body it shows.

/** The few HTML escapes the page's templates write, undone. */
export const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
/** The page's flow state (the hidden `_state` field). */
export const stateOf = (html: string) => /name="_state" value="([^"]*)"/.exec(html)![1]!;
/** The `_action` value of the button labelled `label`. */
export const actionOf = (html: string, label: string) => unescape(new RegExp(`name="_action" value="([^"]*)"[^>]*>${label}<`).exec(html)![1]!);
/** The `_select` value of the Apply button of the field labelled `label` (pages read without script). */
export const selectOf = (html: string, label: string) => unescape(new RegExp(`name="_select" value="([^"]*)" class="link flow-apply" aria-label="Apply ${label}"`).exec(html)![1]!);
/** The field errors the page shows. */
export const errors = (html: string) => [...html.matchAll(/<p class="ferr" id="[^"]+">([\s\S]*?)<\/p>/g)].map((m) => unescape(m[1]!));
/** The screen's body text. */
export const body = (html: string) => /<p class="flow-body">([\s\S]*?)<\/p>/.exec(html)?.[1];
