/**
 * @module ui/diagram
 * The workflow diagram: the server's SVG (GET /api/v1/workflows/{id}/diagram.svg, drawn by the
 * same ELK renderer as `swirl graph --format svg`), inlined so its states can be marked. States
 * carry `data-state`, edges `data-from`/`data-to`; marking is adding `swd-current`,
 * `swd-visited`, `swd-failed` classes. The SVG comes from this origin's API, never from user text.
 */
import { api } from './api.js';
import { h } from './dom.js';

/** What to mark on a diagram. */
export interface Marks {
  current?: Iterable<string>;
  visited?: Iterable<string>;
  failed?: Iterable<string>;
  /** Edges taken, as `from\u0000to\u0000via` (to empty for an end; via the timeline's transition kind, which is the edge's class). */
  taken?: Iterable<string>;
}

const cache = new Map<string, Promise<string>>();

/** Loads the SVG text of a workflow's diagram (cached for the page's life; the server sends an ETag too). */
function svgOf(workflowId: string): Promise<string> {
  let p = cache.get(workflowId);
  if (!p) {
    p = api<string>(`/api/v1/workflows/${encodeURIComponent(workflowId)}/diagram.svg`, { accept: 'image/svg+xml' });
    cache.set(workflowId, p);
    p.catch(() => cache.delete(workflowId));
  }
  return p;
}

/** A figure holding the diagram, scrollable when wider than the screen. */
export async function diagramFigure(workflowId: string, caption: string): Promise<HTMLElement> {
  const text = await svgOf(workflowId);
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  const svg = doc.documentElement;
  if (svg.nodeName !== 'svg' || doc.querySelector('parsererror')) throw new Error('the server sent a diagram that is not SVG');
  const holder = h('div', { class: 'diagram', tabindex: 0, role: 'group', 'aria-label': caption });
  holder.append(document.importNode(svg, true));
  return h('figure', {}, holder, h('figcaption', {}, caption));
}

/** Marks states and edges (clears earlier marks first). */
export function mark(figure: Element, marks: Marks): void {
  for (const cls of ['swd-current', 'swd-visited', 'swd-failed']) figure.querySelectorAll(`.${cls}`).forEach((el) => el.classList.remove(cls));
  const byState = (name: string) => figure.querySelector(`g[data-state="${CSS.escape(name)}"]`);
  let any = false;
  for (const s of marks.visited ?? []) {
    byState(s)?.classList.add('swd-visited');
    any = true;
  }
  if (any) figure.querySelector('path[data-edge="start"]')?.classList.add('swd-visited');
  for (const s of marks.current ?? []) byState(s)?.classList.add('swd-current');
  for (const s of marks.failed ?? []) byState(s)?.classList.add('swd-failed');
  for (const pair of marks.taken ?? []) {
    const [from, to, via] = pair.split('\u0000');
    if (from === undefined) continue;
    // The edge's kind tells apart two ends of one state (its end and an onErrors end, say).
    const kind = via ? `.swd-edge-${CSS.escape(via)}` : '';
    const sel = to ? `path${kind}[data-from="${CSS.escape(from)}"][data-to="${CSS.escape(to)}"]` : `path${kind}[data-from="${CSS.escape(from)}"]:not([data-to])`;
    figure.querySelectorAll(sel).forEach((el) => el.classList.add('swd-visited'));
  }
}
