/**
 * @module graph/diagram/svg
 * {@link Diagram} → SVG text (a pure function: no DOM). Every state's group carries
 * `data-state="<name>"` and every edge `data-from`/`data-to`, so the dashboard can mark the current,
 * visited and failed states with classes (`swd-current`, `swd-visited`, `swd-failed`). Colours come
 * from CSS custom properties with light defaults and a `prefers-color-scheme: dark` variant.
 */
import { assertNever } from '../../errors.js';
import { TEXT, clip } from './layout.js';
import { DiagramNodeKind, type Diagram, type DiagramEdge, type DiagramNode, type Point } from './types.js';

/** Escapes text for XML content and attribute values. */
export function xmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

const STYLE = `
.swd{--swd-bg:#fff;--swd-fg:#1b1f24;--swd-muted:#57606a;--swd-box:#f6f8fa;--swd-line:#57606a;--swd-err:#b42318;--swd-comp:#8250df;--swd-cur:#0969da;--swd-curbg:#ddf4ff;--swd-vis:#1a7f37;--swd-failbg:#ffebe9;font-family:ui-sans-serif,system-ui,sans-serif}
@media (prefers-color-scheme: dark){.swd{--swd-bg:#0d1117;--swd-fg:#e6edf3;--swd-muted:#9da7b3;--swd-box:#161b22;--swd-line:#9da7b3;--swd-err:#ff7b72;--swd-comp:#d2a8ff;--swd-cur:#58a6ff;--swd-curbg:#0c2d6b;--swd-vis:#3fb950;--swd-failbg:#5a1e1e}}
.swd .swd-bg{fill:var(--swd-bg)}
.swd text{fill:var(--swd-fg);font-size:${TEXT.fontSize}px}
.swd text.swd-sub{fill:var(--swd-muted);font-size:${TEXT.smallFontSize}px}
.swd .swd-box{fill:var(--swd-box);stroke:var(--swd-line);stroke-width:1.2}
.swd .swd-compound>.swd-box{fill:none;stroke-dasharray:6 3}
.swd .swd-compensation>.swd-box{stroke:var(--swd-comp);stroke-dasharray:5 3}
.swd .swd-end>.swd-box,.swd .swd-start>.swd-box{fill:var(--swd-line);stroke:none}
.swd .swd-end text{fill:var(--swd-bg)}
.swd .swd-end-terminate>.swd-box{fill:var(--swd-err)}
.swd .swd-end-compensate>.swd-box{fill:var(--swd-comp)}
.swd .swd-edge{fill:none;stroke:var(--swd-line);stroke-width:1.3}
.swd .swd-edge-error{stroke:var(--swd-err);stroke-dasharray:3 3}
.swd .swd-edge-compensation{stroke:var(--swd-comp);stroke-dasharray:7 4}
.swd .swd-label rect{fill:var(--swd-bg);opacity:.9}
.swd .swd-label text{font-size:${TEXT.smallFontSize}px}
.swd .swd-visited>.swd-box{stroke:var(--swd-vis);stroke-width:2.5}
.swd .swd-edge.swd-visited{stroke:var(--swd-vis);stroke-width:2.5}
.swd .swd-current>.swd-box{fill:var(--swd-curbg);stroke:var(--swd-cur);stroke-width:3.5}
.swd .swd-failed>.swd-box{fill:var(--swd-failbg);stroke:var(--swd-err);stroke-width:3.5}
`;

const r = (n: number) => Math.round(n * 10) / 10;

function pathOf(points: readonly Point[], dx: number, dy: number): string {
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'}${r(p.x + dx)},${r(p.y + dy)}`).join(' ');
}

function marker(kind: DiagramEdge['kind']): string {
  switch (kind) {
    case 'error':
      return 'url(#swd-arrow-error)';
    case 'compensation':
      return 'url(#swd-arrow-comp)';
    case 'transition':
    case 'condition':
    case 'default':
    case 'start':
    case 'sequence':
      return 'url(#swd-arrow)';
    default:
      return assertNever(kind, 'diagram edge kind');
  }
}

function edgeSvg(e: DiagramEdge, dx: number, dy: number): string {
  const attrs = [`class="swd-edge swd-edge-${e.kind}"`, `data-edge="${xmlEscape(e.id)}"`];
  if (e.fromState !== undefined) attrs.push(`data-from="${xmlEscape(e.fromState)}"`);
  if (e.toState !== undefined) attrs.push(`data-to="${xmlEscape(e.toState)}"`);
  let out = `<path ${attrs.join(' ')} d="${pathOf(e.points, dx, dy)}" marker-end="${marker(e.kind)}"/>`;
  if (e.label && e.labelBox) {
    const b = e.labelBox;
    out += `<g class="swd-label"><rect x="${r(b.x + dx - 2)}" y="${r(b.y + dy)}" width="${r(b.width + 4)}" height="${r(b.height)}" rx="3"/><text x="${r(b.x + dx + 2)}" y="${r(b.y + dy + b.height - 4)}">${xmlEscape(e.label)}</text></g>`;
  }
  return out;
}

function classesOf(n: DiagramNode): string {
  const c = ['swd-node', `swd-${n.kind}`];
  if (n.children) c.push('swd-compound');
  if (n.compensation) c.push('swd-compensation');
  if (n.endKind) c.push(`swd-end-${n.endKind}`);
  return c.join(' ');
}

function nodeSvg(n: DiagramNode, dx: number, dy: number): string {
  const x = n.x + dx;
  const y = n.y + dy;
  const attrs = [`class="${classesOf(n)}"`, `data-node="${xmlEscape(n.id)}"`];
  if (n.kind === DiagramNodeKind.State && n.state !== undefined) attrs.push(`data-state="${xmlEscape(n.state)}"`);
  let shape: string;
  switch (n.kind) {
    case DiagramNodeKind.Start:
      shape = `<circle class="swd-box" cx="${r(x + n.width / 2)}" cy="${r(y + n.height / 2)}" r="${r(n.width / 2)}"/>`;
      break;
    case DiagramNodeKind.End:
      shape = `<rect class="swd-box" x="${r(x)}" y="${r(y)}" width="${r(n.width)}" height="${r(n.height)}" rx="${r(n.height / 2)}"/>`;
      break;
    case DiagramNodeKind.State:
      // A switch is a box with cut corners (a decision); waits (event, callback, sleep) are rounder.
      shape =
        n.stateType === 'switch' && !n.children
          ? `<polygon class="swd-box" points="${[[x + 10, y], [x + n.width - 10, y], [x + n.width, y + n.height / 2], [x + n.width - 10, y + n.height], [x + 10, y + n.height], [x, y + n.height / 2]].map(([px, py]) => `${r(px!)},${r(py!)}`).join(' ')}"/>`
          : `<rect class="swd-box" x="${r(x)}" y="${r(y)}" width="${r(n.width)}" height="${r(n.height)}" rx="${n.stateType === 'sleep' || n.stateType === 'event' || n.stateType === 'callback' ? 14 : 6}"/>`;
      break;
    case DiagramNodeKind.Branch:
    case DiagramNodeKind.Action:
      shape = `<rect class="swd-box" x="${r(x)}" y="${r(y)}" width="${r(n.width)}" height="${r(n.height)}" rx="4"/>`;
      break;
    default:
      return assertNever(n.kind, 'diagram node kind');
  }
  let text = '';
  if (n.kind !== DiagramNodeKind.Start) {
    // Compound boxes have their title at the top; plain boxes are centred.
    const cx = x + n.width / 2;
    const top = n.children ? y + 18 : y + n.height / 2 + (n.sublabel ? -3 : 4.5);
    text = `<text x="${r(cx)}" y="${r(top)}" text-anchor="middle">${xmlEscape(clip(n.label))}</text>`;
    if (n.sublabel) text += `<text class="swd-sub" x="${r(cx)}" y="${r(top + 15)}" text-anchor="middle">${xmlEscape(clip(n.sublabel))}</text>`;
  }
  const title = `<title>${xmlEscape(n.sublabel ? `${n.label} (${n.sublabel})` : n.label)}</title>`;
  const inner = (n.children ?? []).map((c) => nodeSvg(c, x, y)).join('') + (n.edges ?? []).map((e) => edgeSvg(e, x, y)).join('');
  return `<g ${attrs.join(' ')}>${title}${shape}${text}${inner}</g>`;
}

function arrowDef(id: string, colour: string): string {
  return `<marker id="${id}" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" style="fill:${colour}"/></marker>`;
}

/** Renders the diagram as a standalone SVG document (also valid inline in HTML). */
export function renderSvg(diagram: Diagram, options: { title?: string } = {}): string {
  const title = options.title ?? `workflow ${diagram.workflowId}${diagram.version !== undefined ? ` ${diagram.version}` : ''}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="swd" role="img" aria-label="${xmlEscape(title)}" width="${diagram.width}" height="${diagram.height}" viewBox="0 0 ${diagram.width} ${diagram.height}">`,
    `<title>${xmlEscape(title)}</title>`,
    `<style>${STYLE}</style>`,
    `<defs>${arrowDef('swd-arrow', 'var(--swd-line)')}${arrowDef('swd-arrow-error', 'var(--swd-err)')}${arrowDef('swd-arrow-comp', 'var(--swd-comp)')}</defs>`,
    `<rect class="swd-bg" x="0" y="0" width="${diagram.width}" height="${diagram.height}"/>`,
    ...diagram.nodes.map((n) => nodeSvg(n, 0, 0)),
    ...diagram.edges.map((e) => edgeSvg(e, 0, 0)),
    '</svg>',
    '',
  ].join('\n');
}
