/**
 * @module ui/dom
 * Building DOM without a framework: `h(tag, attributes, ...children)`. Text is always set as text
 * (never parsed as HTML), so nothing a workflow or an instance carries can inject markup.
 */

type Child = Node | string | number | false | null | undefined;
type Attrs = Record<string, string | number | boolean | EventListener | undefined>;

/** Creates an element; `on…` attributes are listeners, `true` is an empty attribute, false/undefined is none. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else if (k === 'value' && 'value' in el) (el as HTMLInputElement).value = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

/** Appends children (strings become text nodes). */
export function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces an element's content. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A date as local date + time (seconds), or '—'. */
export function when(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'short', timeStyle: 'medium' });
}

/** JSON for display, pretty-printed (bounded: a huge value is cut with a note). */
export function pretty(value: unknown, max = 20000): string {
  const text = JSON.stringify(value, null, 2) ?? 'undefined';
  return text.length > max ? `${text.slice(0, max)}\n… (${text.length - max} more characters)` : text;
}

/** A status badge (the status word is the text: colour is never the only signal). */
export function statusBadge(status: string): HTMLElement {
  return h('span', { class: `badge status-${status.toLowerCase()}` }, status);
}

/** The hash-route link to a page. */
export function link(href: string, text: string, attrs: Attrs = {}): HTMLAnchorElement {
  return h('a', { href, ...attrs }, text);
}

/** Hash of a page: `#/instances/<id>` with the id encoded. */
export const routes = {
  workflows: () => '#/workflows',
  workflow: (id: string) => `#/workflows/${encodeURIComponent(id)}`,
  instances: (query = '') => `#/instances${query ? `?${query}` : ''}`,
  instance: (id: string) => `#/instances/${encodeURIComponent(id)}`,
};
