/**
 * @module ui/pages/workflows
 * The Workflows page (every registered definition with its instance counts by status, and the
 * definition editor) and one workflow's page (diagram, details, diagnostics, counts).
 */
import { ApiError, api, type Diagnostic, type WorkflowInfo } from '../api.js';
import { definitionEditor } from '../definition-editor.js';
import { diagramFigure } from '../diagram.js';
import { h, link, pretty, replace, routes } from '../dom.js';

const STATUSES = ['RUNNING', 'PENDING', 'SUSPENDED', 'COMPLETED', 'FAILED', 'TERMINATED'] as const;
/** The counts route's answer (GET /api/v1/workflows/{id}/counts): exact, every status present. */
interface Counts {
  counts: Record<string, number>;
  total: number;
}

/** Counts of a workflow's instances by status: one GROUP BY on the server, however many exist. */
function counts(workflowId: string): Promise<Counts> {
  return api<Counts>(`/api/v1/workflows/${encodeURIComponent(workflowId)}/counts`);
}

function countCells(c: Counts | undefined, workflowId: string): HTMLElement[] {
  return STATUSES.map((s) => {
    const n = c?.counts[s] ?? 0;
    return h('td', { class: 'num', 'data-status': s }, c === undefined ? '…' : n === 0 ? '0' : link(routes.instances(`workflow=${encodeURIComponent(workflowId)}&status=${s}`), String(n), { 'aria-label': `${n} ${s.toLowerCase()} instances of ${workflowId}` }));
  });
}

/** The editor survives a redraw of the list (a registration redraws it and keeps its result). */
let editor: HTMLElement | undefined;

/** #/workflows */
export async function workflowsPage(main: HTMLElement): Promise<void> {
  editor ??= definitionEditor(() => void workflowsPage(main));
  const { workflows } = await api<{ workflows: WorkflowInfo[] }>('/api/v1/workflows');
  const body = h('tbody');
  const table = h(
    'table',
    { class: 'list', id: 'workflows' },
    h('caption', {}, `${workflows.length} registered workflow definition(s); instance counts by status`),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Workflow'), h('th', { scope: 'col' }, 'Version'), h('th', { scope: 'col' }, 'Source'), ...STATUSES.map((s) => h('th', { scope: 'col', class: 'num' }, s.toLowerCase())))),
    body,
  );
  for (const w of workflows) {
    const row = h('tr', { 'data-workflow': w.id }, h('th', { scope: 'row' }, link(routes.workflow(w.id), w.id)), h('td', {}, w.version ?? '—'), h('td', { class: 'source' }, w.source), ...countCells(undefined, w.id));
    body.append(row);
    void counts(w.id).then(
      (c) => row.replaceChildren(...[...row.children].slice(0, 3), ...countCells(c, w.id)),
      () => undefined,
    );
  }
  replace(main, h('h1', {}, 'Workflows'), h('div', { class: 'scroll' }, table), editor);
}

/** Start an instance: input JSON (checked before sending) and an optional instance id. */
function startForm(id: string): HTMLElement {
  const input = h('textarea', { id: 'start-input', rows: 4, spellcheck: 'false' }, '{}');
  const instanceId = h('input', { id: 'start-id', type: 'text', autocomplete: 'off', maxlength: 200 });
  const result = h('p', { class: 'notice', 'aria-live': 'polite', id: 'start-result' });
  const form = h('form', { class: 'start', 'aria-labelledby': 'start-title' }, h('h2', { id: 'start-title' }, 'Start an instance'), h('div', { class: 'field' }, h('label', { for: 'start-input' }, 'Input (JSON)'), input), h('div', { class: 'field' }, h('label', { for: 'start-id' }, 'Instance id (optional)'), instanceId), h('div', { class: 'row' }, h('button', { type: 'submit' }, 'Start')), result);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    let data: unknown;
    try {
      data = input.value.trim() === '' ? {} : JSON.parse(input.value);
    } catch (err) {
      result.textContent = `The input is not JSON: ${(err as Error).message}`;
      result.className = 'notice error';
      return;
    }
    const q = instanceId.value.trim() ? `?instanceID=${encodeURIComponent(instanceId.value.trim())}` : '';
    api<{ instanceID: string }>(`/v1.0/workflows/dapr/${encodeURIComponent(id)}/start${q}`, { body: data }).then(
      (r) => (location.hash = routes.instance(r.instanceID)),
      (err: Error) => {
        result.textContent = `Not started: ${err instanceof ApiError ? `${err.errorCode}: ` : ''}${err.message}`;
        result.className = 'notice error';
      },
    );
  });
  return form;
}

/** #/workflows/<id> */
export async function workflowPage(main: HTMLElement, id: string): Promise<void> {
  const w = await api<WorkflowInfo & { definition: unknown }>(`/api/v1/workflows/${encodeURIComponent(id)}`);
  // The definition as registered is validated again for its warnings (errors would have refused it).
  const check = await api<{ valid: boolean; diagnostics: Diagnostic[] }>('/api/v1/workflows/validate', { text: JSON.stringify(w.definition, null, 2) }).catch(() => undefined);
  const c = await counts(id).catch(() => undefined);
  const figure = await diagramFigure(id, `Diagram of ${id}${w.version ? ` ${w.version}` : ''}`).catch((err: Error) => h('p', { class: 'error' }, `No diagram: ${err.message}`));
  const facts: [string, Node | string][] = [
    ['Version', w.version ?? '—'],
    ['Definition hash', h('code', {}, w.hash.slice(0, 16))],
    ['Source', w.source],
    ['Started by events', w.startEvents.length ? w.startEvents.join(', ') : '—'],
    ['Schedule', w.schedule ? (w.schedule.cron ?? w.schedule.interval ?? '') : '—'],
    ['Older versions still registered', w.olderVersions?.length ? w.olderVersions.map((o) => `${o.version ?? '?'} (${o.hash.slice(0, 12)})`).join(', ') : '—'],
  ];
  replace(
    main,
    h('p', { class: 'crumbs' }, link(routes.workflows(), 'Workflows'), ' / ', id),
    h('h1', {}, id),
    h('dl', { class: 'facts' }, ...facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    h('h2', {}, 'Instances'),
    h('div', { class: 'scroll' }, h('table', { class: 'list' }, h('caption', {}, `Instances of ${id} by status`), h('thead', {}, h('tr', {}, ...STATUSES.map((s) => h('th', { scope: 'col', class: 'num' }, s.toLowerCase())))), h('tbody', {}, h('tr', {}, ...countCells(c, id))))),
    h('p', {}, link(routes.instances(`workflow=${encodeURIComponent(id)}`), 'All instances of this workflow')),
    startForm(id),
    h('h2', {}, 'Diagram'),
    figure,
    h('h2', {}, 'Diagnostics'),
    check === undefined ? h('p', {}, 'Not available.') : check.diagnostics.length === 0 ? h('p', { class: 'ok' }, 'None.') : h('ul', { class: 'diagnostics' }, ...check.diagnostics.map((d) => h('li', { class: `diag-${d.severity}` }, `${d.severity} ${d.code} at ${d.pointer ?? '/'}: ${d.message}`))),
    h('details', {}, h('summary', {}, 'Definition (JSON)'), h('pre', {}, pretty(w.definition))),
  );
}
