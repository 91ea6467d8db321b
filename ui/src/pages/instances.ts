/**
 * @module ui/pages/instances
 * The Instances page: filters (workflow, status, created from/to, id prefix) kept in the URL hash,
 * pages of the API's list (next/previous by page token), sort by creation time — the filters and
 * the sort are the API's (`idPrefix`, `order`), so they hold across pages —, live updates by
 * polling (no full reload), and bulk terminate / purge of the selected rows after a confirmation.
 */
import { AuthRequired, api, authLost, dapr, type InstanceSummary, type WorkflowInfo } from '../api.js';
import { confirmDialog } from '../dialog.js';
import { h, link, replace, routes, statusBadge, when } from '../dom.js';

const STATUSES = ['RUNNING', 'PENDING', 'SUSPENDED', 'COMPLETED', 'FAILED', 'TERMINATED'];
/** Page sizes offered (the API allows up to 1000). */
const PAGE_SIZES = [5, 10, 50, 100, 500];
const DEFAULT_PAGE_SIZE = 50;
/** Live updates: the current page is fetched again this often while the tab is visible. */
export const POLL_MS = 2000;
const FINISHED = new Set(['COMPLETED', 'FAILED', 'TERMINATED']);

interface Filters {
  workflow: string;
  status: string;
  from: string;
  to: string;
  prefix: string;
  sort: 'newest' | 'oldest';
  size: string;
}

function filtersOf(q: URLSearchParams): Filters {
  return { workflow: q.get('workflow') ?? '', status: q.get('status') ?? '', from: q.get('from') ?? '', to: q.get('to') ?? '', prefix: q.get('prefix') ?? '', sort: q.get('sort') === 'oldest' ? 'oldest' : 'newest', size: PAGE_SIZES.map(String).includes(q.get('size') ?? '') ? q.get('size')! : String(DEFAULT_PAGE_SIZE) };
}

function hashOf(f: Filters): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (v && !(k === 'sort' && v === 'newest') && !(k === 'size' && v === String(DEFAULT_PAGE_SIZE))) q.set(k, v);
  return routes.instances(q.toString());
}

/** A datetime-local value (local time) as RFC 3339. */
const rfc3339 = (local: string) => new Date(local).toISOString();

/** #/instances?… — returns a stop function (the poller). */
export async function instancesPage(main: HTMLElement, query: URLSearchParams): Promise<() => void> {
  const f = filtersOf(query);
  // Without the workflow names the filter offers none, but a refused token is the sign-in box.
  const { workflows } = await api<{ workflows: WorkflowInfo[] }>('/api/v1/workflows').catch((err: unknown) => {
    if (err instanceof AuthRequired) throw err;
    return { workflows: [] as WorkflowInfo[] };
  });
  const field = (label: string, control: HTMLElement) => h('div', { class: 'field' }, h('label', { for: control.id }, label), control);
  const wf = h('select', { id: 'f-workflow', name: 'workflow' }, h('option', { value: '' }, 'any'), ...workflows.map((w) => h('option', { value: w.id, selected: w.id === f.workflow }, w.id)));
  if (f.workflow && !workflows.some((w) => w.id === f.workflow)) wf.append(h('option', { value: f.workflow, selected: true }, f.workflow));
  const st = h('select', { id: 'f-status', name: 'status' }, h('option', { value: '' }, 'any'), ...STATUSES.map((s) => h('option', { value: s, selected: s === f.status }, s.toLowerCase())));
  const from = h('input', { id: 'f-from', type: 'datetime-local', name: 'from', value: f.from, step: 1 });
  const to = h('input', { id: 'f-to', type: 'datetime-local', name: 'to', value: f.to, step: 1 });
  // The characters of an instance id: the browser says what is wrong before the API would (400).
  const prefix = h('input', { id: 'f-prefix', type: 'search', name: 'prefix', value: f.prefix, autocomplete: 'off', maxlength: 200, pattern: '[A-Za-z0-9_.:\\-]+', title: 'the start of an instance id: A-Z a-z 0-9 _ - . :' });
  const sort = h('select', { id: 'f-sort', name: 'sort' }, h('option', { value: 'newest', selected: f.sort === 'newest' }, 'newest first'), h('option', { value: 'oldest', selected: f.sort === 'oldest' }, 'oldest first'));
  const size = h('select', { id: 'f-size', name: 'size' }, ...PAGE_SIZES.map((n) => h('option', { value: n, selected: String(n) === f.size }, String(n))));
  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'filter instances' },
    field('Workflow', wf),
    field('Status', st),
    field('Created from', from),
    field('Created to', to),
    field('Id starts with', prefix),
    field('Sort', sort),
    field('Per page', size),
    h('button', { type: 'submit' }, 'Apply'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    location.hash = hashOf({ workflow: wf.value, status: st.value, from: from.value, to: to.value, prefix: prefix.value.trim(), sort: sort.value === 'oldest' ? 'oldest' : 'newest', size: size.value });
  });

  const status = h('p', { class: 'live', 'aria-live': 'polite', id: 'list-status' });
  const body = h('tbody');
  const all = h('input', { type: 'checkbox', id: 'select-all', 'aria-label': 'select every instance on this page' });
  const table = h(
    'table',
    { class: 'list', id: 'instances' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, all), h('th', { scope: 'col' }, 'Instance'), h('th', { scope: 'col' }, 'Workflow'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Created'), h('th', { scope: 'col' }, 'Updated'))),
    body,
  );
  const prev = h('button', { type: 'button', class: 'secondary', disabled: true }, '← Previous');
  const next = h('button', { type: 'button', class: 'secondary', disabled: true }, 'Next →');
  const bulkTerminate = h('button', { type: 'button', class: 'danger', disabled: true, id: 'bulk-terminate' }, 'Terminate selected');
  const bulkPurge = h('button', { type: 'button', class: 'danger', disabled: true, id: 'bulk-purge' }, 'Purge selected');
  const selected = new Set<string>();
  let rows: InstanceSummary[] = [];
  const tokens: (string | undefined)[] = [undefined];
  let pageIndex = 0;
  let nextToken: string | undefined;

  const syncButtons = () => {
    const chosen = rows.filter((r) => selected.has(r.instanceID));
    bulkTerminate.disabled = !chosen.some((r) => !FINISHED.has(r.runtimeStatus));
    bulkPurge.disabled = !chosen.some((r) => FINISHED.has(r.runtimeStatus));
    all.checked = rows.length > 0 && chosen.length === rows.length;
  };
  const draw = () => {
    body.replaceChildren(
      ...rows.map((r) => {
        const box = h('input', { type: 'checkbox', 'aria-label': `select ${r.instanceID}`, checked: selected.has(r.instanceID) });
        box.addEventListener('change', () => {
          if (box.checked) selected.add(r.instanceID);
          else selected.delete(r.instanceID);
          syncButtons();
        });
        return h('tr', { 'data-instance': r.instanceID }, h('td', {}, box), h('th', { scope: 'row' }, link(routes.instance(r.instanceID), r.instanceID)), h('td', {}, link(routes.workflow(r.workflowName), r.workflowName)), h('td', {}, statusBadge(r.runtimeStatus)), h('td', {}, when(r.createdAt)), h('td', {}, when(r.lastUpdatedAt)));
      }),
    );
    if (rows.length === 0) body.append(h('tr', {}, h('td', { colspan: 6, class: 'empty' }, 'No instances match.')));
    prev.disabled = pageIndex === 0;
    next.disabled = nextToken === undefined;
    syncButtons();
  };
  all.addEventListener('change', () => {
    for (const r of rows) if (all.checked) selected.add(r.instanceID);
    else selected.delete(r.instanceID);
    draw();
  });

  let inFlight = false;
  const load = async () => {
    if (inFlight) return;
    inFlight = true;
    try {
      const q = new URLSearchParams({ pageSize: f.size });
      if (f.workflow) q.set('workflow', f.workflow);
      if (f.status) q.set('status', f.status);
      if (f.from) q.set('createdFrom', rfc3339(f.from));
      if (f.to) q.set('createdTo', rfc3339(f.to));
      if (f.prefix) q.set('idPrefix', f.prefix);
      q.set('order', f.sort === 'newest' ? 'desc' : 'asc');
      const token = tokens[pageIndex];
      if (token) q.set('pageToken', token);
      const page = await api<{ instances: InstanceSummary[]; nextPageToken?: string }>(`/api/v1/instances?${q}`);
      rows = page.instances;
      nextToken = page.nextPageToken;
      for (const id of [...selected]) if (!rows.some((r) => r.instanceID === id)) selected.delete(id);
      status.textContent = `Page ${pageIndex + 1}: ${rows.length} instance(s)${f.prefix ? ` with id prefix '${f.prefix}'` : ''}. Updated ${new Date().toLocaleTimeString()}.`;
      status.classList.remove('error');
      draw();
    } catch (err) {
      if (err instanceof AuthRequired) return authLost();
      status.textContent = `Could not load instances: ${(err as Error).message}`;
      status.classList.add('error');
    } finally {
      inFlight = false;
    }
  };
  prev.addEventListener('click', () => {
    pageIndex = Math.max(0, pageIndex - 1);
    void load();
  });
  next.addEventListener('click', () => {
    if (nextToken === undefined) return;
    tokens[pageIndex + 1] = nextToken;
    pageIndex++;
    void load();
  });

  const bulk = async (op: 'terminate' | 'purge') => {
    const ids = rows.filter((r) => selected.has(r.instanceID) && (op === 'purge') === FINISHED.has(r.runtimeStatus)).map((r) => r.instanceID);
    if (ids.length === 0) return;
    const ok = await confirmDialog(op === 'terminate' ? 'Terminate instances?' : 'Purge instances?', op === 'terminate' ? `Terminate ${ids.length} running instance(s)? They stop where they are; this cannot be undone.` : `Purge ${ids.length} finished instance(s)? Their history is deleted for good.`, op === 'terminate' ? `Terminate ${ids.length}` : `Purge ${ids.length}`);
    if (!ok) return;
    const failures: string[] = [];
    for (const id of ids) await api(dapr(id, op), { method: 'POST' }).catch((err: Error) => failures.push(`${id}: ${err.message}`));
    selected.clear();
    status.textContent = failures.length ? `${ids.length - failures.length} done; failed: ${failures.join('; ')}` : `${op === 'terminate' ? 'Terminated' : 'Purged'} ${ids.length} instance(s).`;
    await load();
  };
  bulkTerminate.addEventListener('click', () => void bulk('terminate'));
  bulkPurge.addEventListener('click', () => void bulk('purge'));

  replace(main, h('h1', {}, 'Instances'), form, h('div', { class: 'row' }, bulkTerminate, bulkPurge), status, h('div', { class: 'scroll' }, table), h('nav', { class: 'row pager', 'aria-label': 'pages' }, prev, next));
  await load();
  const timer = setInterval(() => {
    if (!document.hidden) void load();
  }, POLL_MS);
  return () => clearInterval(timer);
}
