/**
 * @module ui/definition-editor
 * Paste a definition (YAML or JSON) → Validate (POST /api/v1/workflows/validate) or Register
 * (POST /api/v1/workflows). The diagnostics are listed like the CLI prints them
 * (`line:col severity code message`) and shown under the line of the text they point at.
 */
import { ApiError, api, type Diagnostic, type WorkflowInfo } from './api.js';
import { h, link, replace, routes } from './dom.js';

/** Most pasted characters sent (the server bounds it too). */
const MAX_TEXT = 1_000_000;

/** The numbered listing of `text` with each diagnostic under its line. */
function listing(text: string, diagnostics: Diagnostic[]): HTMLElement {
  const byLine = new Map<number, Diagnostic[]>();
  for (const d of diagnostics) if (d.line) byLine.set(d.line, [...(byLine.get(d.line) ?? []), d]);
  const lines = text.split('\n');
  const ol = h('ol', { class: 'listing', 'aria-label': 'the definition with its diagnostics' });
  lines.forEach((line, i) => {
    const n = i + 1;
    const ds = byLine.get(n);
    if (!ds && !byLine.has(n - 1) && !byLine.has(n + 1)) return; // only the lines near a finding
    const li = h('li', { value: n, 'data-line': n, class: ds ? 'has-diag' : undefined }, h('code', {}, line || ' '));
    for (const d of ds ?? []) {
      li.append(h('div', { class: `diag diag-${d.severity}`, role: d.severity === 'error' ? 'alert' : undefined }, `${' '.repeat(Math.max(0, (d.column ?? 1) - 1))}^ ${d.severity} ${d.code}: ${d.message}${d.hint ? ` (${d.hint})` : ''}`));
    }
    ol.append(li);
  });
  return ol;
}

function diagnosticList(diagnostics: Diagnostic[]): HTMLElement {
  if (diagnostics.length === 0) return h('p', { class: 'ok' }, 'No diagnostics: the definition is valid.');
  return h(
    'ul',
    { class: 'diagnostics' },
    ...diagnostics.map((d) => h('li', { class: `diag-${d.severity}`, 'data-line': d.line ?? '' }, `${d.line ?? '?'}:${d.column ?? '?'} ${d.severity} ${d.code} ${d.pointer ?? ''}: ${d.message}${d.hint ? ` — ${d.hint}` : ''}`)),
  );
}

/** The editor section; `onRegistered` runs after a successful registration. */
export function definitionEditor(onRegistered: (w: WorkflowInfo) => void): HTMLElement {
  const area = h('textarea', { id: 'definition-text', rows: 14, spellcheck: 'false', 'aria-describedby': 'definition-help', placeholder: "id: my-workflow\nspecVersion: '0.8'\nstates: …" });
  const out = h('div', { class: 'result', 'aria-live': 'polite', id: 'definition-result' });
  const run = async (register: boolean) => {
    const text = area.value;
    if (text.trim() === '') return replace(out, h('p', { class: 'error' }, 'Paste a definition first.'));
    if (text.length > MAX_TEXT) return replace(out, h('p', { class: 'error' }, `The definition is ${text.length} characters; at most ${MAX_TEXT} are sent.`));
    replace(out, h('p', {}, register ? 'Registering…' : 'Validating…'));
    try {
      if (register) {
        const r = await api<{ workflow: WorkflowInfo; diagnostics: Diagnostic[] }>('/api/v1/workflows', { text });
        replace(out, h('p', { class: 'ok' }, 'Registered ', link(routes.workflow(r.workflow.id), r.workflow.id), r.workflow.version ? ` version ${r.workflow.version}` : ''), diagnosticList(r.diagnostics), r.diagnostics.length ? listing(text, r.diagnostics) : null);
        onRegistered(r.workflow);
      } else {
        const r = await api<{ valid: boolean; diagnostics: Diagnostic[] }>('/api/v1/workflows/validate', { text });
        replace(out, h('p', { class: r.valid ? 'ok' : 'error' }, r.valid ? 'Valid.' : 'Invalid.'), diagnosticList(r.diagnostics), r.diagnostics.length ? listing(text, r.diagnostics) : null);
      }
    } catch (err) {
      if (err instanceof ApiError && typeof err.body === 'object' && err.body !== null && Array.isArray((err.body as { diagnostics?: unknown }).diagnostics)) {
        const ds = (err.body as { diagnostics: Diagnostic[] }).diagnostics;
        replace(out, h('p', { class: 'error' }, err.message), diagnosticList(ds), listing(text, ds));
      } else replace(out, h('p', { class: 'error', role: 'alert' }, (err as Error).message));
    }
  };
  return h(
    'section',
    { 'aria-labelledby': 'editor-title' },
    h('h2', { id: 'editor-title' }, 'Validate or register a definition'),
    h('label', { for: 'definition-text' }, 'Definition (YAML or JSON)'),
    area,
    h('p', { id: 'definition-help', class: 'help' }, 'Validation shows the same diagnostics as swirl validate, each under its line. Registering adds a new version for new instances; running instances keep theirs.'),
    h('div', { class: 'row' }, h('button', { type: 'button', onclick: () => void run(false) }, 'Validate'), h('button', { type: 'button', class: 'secondary', onclick: () => void run(true) }, 'Register')),
    out,
  );
}
