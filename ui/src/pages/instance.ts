/**
 * @module ui/pages/instance
 * One instance: status and controls (raise event, suspend, resume, terminate, purge, rerun from a
 * state), the diagram with the current state(s), the path taken and the failed state marked, the
 * pending waits, input/output/error, parent and children, and the state-level timeline
 * (GET /api/v1/instances/{id}/timeline, specs/timeline.md). Polls while the instance runs.
 */
import { ApiError, AuthRequired, api, authLost, dapr, type InstanceDetail, type TimelineItem, type Wait } from '../api.js';
import { confirmDialog } from '../dialog.js';
import { diagramFigure, mark } from '../diagram.js';
import { h, link, pretty, replace, routes, statusBadge, when } from '../dom.js';

const FINISHED = new Set(['COMPLETED', 'FAILED', 'TERMINATED']);
const POLL_MS = 2000;
/** Timeline items fetched (pages of the API's largest page). */
const MAX_TIMELINE = 5000;

async function timeline(id: string): Promise<{ items: TimelineItem[]; truncated: boolean }> {
  const items: TimelineItem[] = [];
  let token: string | undefined;
  do {
    const page = await api<{ items: TimelineItem[]; nextPageToken?: string }>(`/api/v1/instances/${encodeURIComponent(id)}/timeline?limit=1000${token ? `&pageToken=${token}` : ''}`);
    items.push(...page.items);
    token = page.nextPageToken;
  } while (token !== undefined && items.length < MAX_TIMELINE);
  return { items, truncated: token !== undefined };
}

function waitText(w: Wait | undefined): string {
  if (!w) return 'working (a turn in progress)';
  switch (w.kind) {
    case 'event':
      return `event ${w.events.join(' or ')}${w.correlation?.length ? ` where ${w.correlation.map((c) => `${c.attribute} = ${c.value ?? '(any)'}`).join(', ')}` : ''}, since ${when(w.since)}`;
    case 'timer':
      return `timer until ${when(w.until)}`;
    case 'activity':
      return `function ${w.function} (attempt ${w.attempt}), since ${when(w.since)}`;
    case 'subflow':
      return `subflow ${w.workflow} (${w.instanceId}), since ${when(w.since)}`;
    case 'retry':
      return `retry of ${w.function} (attempt ${w.attempt + 1}) at ${when(w.until)}`;
  }
}

/** What a timeline item says, in a line. */
function itemText(i: TimelineItem): string {
  const s = (k: string) => (i[k] === undefined ? '' : String(i[k]));
  switch (i.kind) {
    case 'stateEntered':
      return `entered ${s('state')} (${s('type')})${i.compensation ? ' to compensate' : ''}`;
    case 'stateExited':
      return `exited ${s('state')}`;
    case 'stateFailed':
      return `${s('state')} failed: ${(i.error as { code?: string; message?: string } | undefined)?.message ?? ''}`;
    case 'transition':
      return `${s('from')} → ${i.to !== undefined ? s('to') : 'end'} via ${s('via')}${i.condition !== undefined ? ` (${s('condition')})` : ''}`;
    case 'actionStarted':
      return `action ${s('action')} in ${s('state')} started (attempt ${s('attempt')})${i.function !== undefined ? `: ${s('function')}` : ''}`;
    case 'actionCompleted':
      return `action ${s('action')} in ${s('state')} completed (attempt ${s('attempt')})`;
    case 'actionFailed':
      return `action ${s('action')} in ${s('state')} failed (attempt ${s('attempt')}): ${(i.error as { message?: string } | undefined)?.message ?? ''}`;
    case 'actionRetried':
      return `action ${s('action')} in ${s('state')} (attempt ${s('attempt')}) retried in ${s('delayMs')} ms`;
    case 'eventWaiting': {
      const correlation = (i.correlation as { attribute: string; value?: unknown }[] | undefined) ?? [];
      return `waiting in ${s('state')} for ${(i.events as string[] | undefined)?.join(' or ') ?? 'an event'}${correlation.length ? ` where ${correlation.map((c) => `${c.attribute} = ${c.value === undefined ? '(any)' : String(c.value)}`).join(', ')}` : ''}`;
    }
    case 'eventReceived':
      return `received event ${s('event')} in ${s('state')}`;
    case 'errorHandled':
      return `error ${(i.error as { code?: string } | undefined)?.code ?? ''} handled in ${s('state')}`;
    case 'compensationStarted':
      return `${s('state')} compensated by ${s('by')}`;
    case 'timerStarted':
      return `timer in ${s('state')} until ${when(s('until'))}`;
    case 'timerFired':
      return `timer in ${s('state')} fired`;
    case 'eventTimedOut':
      return `no event in ${s('state')} before its timeout`;
    case 'eventProduced':
      return `produced event ${s('event')} in ${s('state')}`;
    case 'workflowTimedOut':
      return `workflow timed out in ${s('state')} (${s('timeout')})`;
    case 'rerunStarted':
      return `rerun from ${s('fromState')}`;
    default:
      return `${i.kind}${i.state ? ` ${s('state')}` : ''}`;
  }
}

/** Data of an item worth showing (input/output/result/data/error). */
function itemData(i: TimelineItem): unknown {
  for (const k of ['output', 'result', 'data', 'input', 'error']) if (i[k] !== undefined) return { [k]: i[k] };
  return undefined;
}

/** #/instances/<id> — returns a stop function (the poller). */
export async function instancePage(main: HTMLElement, id: string): Promise<() => void> {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const notice = h('p', { class: 'notice', 'aria-live': 'polite', id: 'action-result' });
  let figure: HTMLElement | undefined;
  let figureOf: string | undefined;
  /** What the page shows was drawn from; an unchanged poll redraws nothing (a half-typed event stays). */
  let drawn: string | undefined;
  let controlsEl: HTMLElement | undefined;
  let controlsFor: string | undefined;

  const say = (text: string, error = false) => {
    notice.textContent = text;
    notice.classList.toggle('error', error);
  };
  const act = async (label: string, op: () => Promise<unknown>, after?: () => void) => {
    try {
      await op();
      say(`${label}: done.`);
      after?.();
    } catch (err) {
      say(`${label} failed: ${err instanceof ApiError ? `${err.errorCode}: ` : ''}${(err as Error).message}`, true);
    }
    await refresh();
  };

  const controls = (m: InstanceDetail, states: string[]) => {
    const running = !FINISHED.has(m.runtimeStatus);
    const eventName = h('input', { id: 'event-name', type: 'text', required: true, autocomplete: 'off', maxlength: 200 });
    const eventData = h('textarea', { id: 'event-data', rows: 4, spellcheck: 'false', 'aria-describedby': 'event-data-check' }, '{}');
    const dataCheck = h('span', { id: 'event-data-check', class: 'help', 'aria-live': 'polite' }, 'valid JSON');
    const parse = (): { ok: true; value: unknown } | { ok: false; error: string } => {
      if (eventData.value.trim() === '') return { ok: true, value: null };
      try {
        return { ok: true, value: JSON.parse(eventData.value) };
      } catch (err) {
        return { ok: false, error: (err as Error).message };
      }
    };
    eventData.addEventListener('input', () => {
      const p = parse();
      dataCheck.textContent = p.ok ? 'valid JSON' : `not JSON: ${p.error}`;
      eventData.setAttribute('aria-invalid', String(!p.ok));
    });
    const raise = h('form', { class: 'raise', 'aria-labelledby': 'raise-title' }, h('h3', { id: 'raise-title' }, 'Raise an event'), h('div', { class: 'field' }, h('label', { for: 'event-name' }, 'Event name'), eventName), h('div', { class: 'field' }, h('label', { for: 'event-data' }, 'Data (JSON)'), eventData, dataCheck), h('button', { type: 'submit' }, 'Raise event'));
    raise.addEventListener('submit', (e) => {
      e.preventDefault();
      const p = parse();
      if (!p.ok) return say(`The event data is not JSON: ${p.error}`, true);
      if (eventName.value.trim() === '') return say('Name the event to raise.', true);
      void act(`Raise ${eventName.value.trim()}`, () => api(dapr(id, `raiseEvent/${encodeURIComponent(eventName.value.trim())}`), { body: p.value }));
    });
    const simple = (label: string, op: string, enabled: boolean, danger = false, confirm?: string) =>
      h('button', {
        type: 'button',
        class: danger ? 'danger' : 'secondary',
        disabled: !enabled,
        onclick: () =>
          void (async () => {
            if (confirm && !(await confirmDialog(`${label}?`, confirm, label))) return;
            await act(label, () => api(dapr(id, op), { method: 'POST' }), op === 'purge' ? () => (location.hash = routes.instances()) : undefined);
          })(),
      }, label);
    const from = h('select', { id: 'rerun-from' }, ...states.map((s) => h('option', { value: s }, s)));
    const rerun = h('form', { class: 'rerun' }, h('div', { class: 'field' }, h('label', { for: 'rerun-from' }, 'Rerun from state'), from), h('button', { type: 'submit', disabled: !FINISHED.has(m.runtimeStatus) || states.length === 0 }, 'Rerun'));
    rerun.addEventListener('submit', (e) => {
      e.preventDefault();
      void act(`Rerun from ${from.value}`, async () => {
        const r = await api<{ instanceID: string }>(`/api/v1/instances/${encodeURIComponent(id)}/rerun`, { body: { fromState: from.value } });
        location.hash = routes.instance(r.instanceID);
      });
    });
    return h(
      'section',
      { class: 'controls', 'aria-label': 'instance controls' },
      h('div', { class: 'row' }, simple('Suspend', 'pause', m.runtimeStatus === 'RUNNING' || m.runtimeStatus === 'PENDING'), simple('Resume', 'resume', m.runtimeStatus === 'SUSPENDED'), simple('Terminate', 'terminate', running, true, `Terminate ${id}? It stops where it is; this cannot be undone.`), simple('Purge', 'purge', !running, true, `Purge ${id}? Its history is deleted for good.`)),
      running ? raise : null,
      rerun,
    );
  };

  // The controls are rebuilt only when the status changes, so a poll never clears what is typed.
  const controlsOf = (m: InstanceDetail, states: string[]) => {
    const key = JSON.stringify([m.runtimeStatus, states]);
    if (!controlsEl || controlsFor !== key) {
      controlsEl = controls(m, states);
      controlsFor = key;
    }
    return controlsEl;
  };

  // A failed poll (server restarting, network) says so and tries again, slower.
  const poll = () =>
    void refresh().catch((err: Error) => {
      if (err instanceof AuthRequired) return authLost();
      say(`Could not refresh: ${err.message}`, true);
      if (!stopped) timer = setTimeout(poll, 2 * POLL_MS);
    });

  const refresh = async (): Promise<void> => {
    if (stopped) return;
    clearTimeout(timer);
    let m: InstanceDetail;
    try {
      m = await api<InstanceDetail>(`/api/v1/instances/${encodeURIComponent(id)}`);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return replace(main, h('h1', {}, id), h('p', { class: 'error', role: 'alert' }, err.message), h('p', {}, link(routes.instances(), 'Back to the instances')));
      throw err;
    }
    // Every change of an instance moves lastUpdatedAt: an unchanged instance costs one GET per poll
    // (no timeline replay) and redraws nothing.
    const signature = JSON.stringify([m.runtimeStatus, m.lastUpdatedAt, m.currentStates]);
    if (signature === drawn) {
      if (!FINISHED.has(m.runtimeStatus)) timer = setTimeout(poll, POLL_MS);
      return;
    }
    drawn = signature;
    const tl = await timeline(id).catch((err: Error) => ({ items: [] as TimelineItem[], truncated: false, error: err.message }));
    const workflowId = m.definition?.id ?? m.workflowName;
    if (figureOf !== workflowId) {
      figure = await diagramFigure(workflowId, `Diagram of ${workflowId}: current state(s) highlighted, the path taken in green, a failed state in red`).catch((err: Error) => h('p', { class: 'error' }, `No diagram: ${err.message}`));
      figureOf = workflowId;
    }
    const visited = new Set<string>();
    const failed = new Set<string>();
    const taken = new Set<string>();
    for (const i of tl.items) {
      if (i.kind === 'stateEntered' && typeof i.state === 'string') visited.add(i.state);
      if (i.kind === 'stateFailed' && typeof i.state === 'string') failed.add(i.state);
      if (i.kind === 'transition') taken.add(`${String(i.from)}\u0000${i.to === undefined ? '' : String(i.to)}\u0000${i.via === undefined ? '' : String(i.via)}`);
    }
    const current = (m.currentStates ?? []).map((c) => c.state);
    if (figure) mark(figure, { visited, failed, current, taken });

    const facts: [string, Node | string][] = [
      ['Status', statusBadge(m.runtimeStatus)],
      ['Workflow', link(routes.workflow(workflowId), `${workflowId}${m.definition?.version ? ` ${m.definition.version}` : ''}`)],
      ['Created', when(m.createdAt)],
      ['Updated', when(m.lastUpdatedAt)],
      ['Completed', when(m.completedAt)],
      ['Parent', m.parentInstanceID ? link(routes.instance(m.parentInstanceID), m.parentInstanceID) : '—'],
    ];
    const waits = m.currentStates ?? [];
    replace(
      main,
      h('p', { class: 'crumbs' }, link(routes.instances(), 'Instances'), ' / ', id),
      h('h1', {}, 'Instance ', h('code', {}, id)),
      h('dl', { class: 'facts' }, ...facts.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
      notice,
      controlsOf(m, [...visited]),
      m.failure ? h('section', { class: 'failure', 'aria-labelledby': 'err-title', id: 'failure' }, h('h2', { id: 'err-title' }, 'Error'), h('p', { role: 'alert' }, h('strong', {}, m.failure.code ?? m.failure.errorType), ': ', m.failure.message)) : null,
      h('section', { 'aria-labelledby': 'cur-title', id: 'current-states' }, h('h2', { id: 'cur-title' }, 'Current state(s) and waits'), waits.length === 0 ? h('p', {}, m.currentStatesError ?? (FINISHED.has(m.runtimeStatus) ? 'None: the instance has finished.' : 'None.')) : h('ul', {}, ...waits.map((c) => h('li', { 'data-state': c.state }, h('strong', {}, c.state), c.branch ? ` [branch ${c.branch}]` : '', c.iteration !== undefined ? ` [iteration ${c.iteration}]` : '', ` — ${waitText(c.waitingFor)}`)))),
      h('h2', {}, 'Diagram'),
      figure ?? null,
      h('div', { class: 'data' }, h('section', {}, h('h2', {}, 'Input'), h('pre', { id: 'input', tabindex: 0 }, pretty(m.input))), h('section', {}, h('h2', {}, 'Output'), h('pre', { id: 'output', tabindex: 0 }, m.output === undefined ? '—' : pretty(m.output)))),
      m.children?.length ? h('section', { id: 'children' }, h('h2', {}, 'Children'), h('ul', {}, ...m.children.map((c) => h('li', {}, link(routes.instance(c.instanceID), c.instanceID), ` ${c.workflowName} `, statusBadge(c.runtimeStatus))))) : null,
      h(
        'section',
        { 'aria-labelledby': 'tl-title' },
        h('h2', { id: 'tl-title' }, `Timeline (${tl.items.length}${tl.truncated ? '+' : ''} entries)`),
        'error' in tl ? h('p', { class: 'error' }, `No timeline: ${tl.error}`) : null,
        h('div', { class: 'scroll' }, h('table', { class: 'list timeline', id: 'timeline' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, '#'), h('th', { scope: 'col' }, 'Time'), h('th', { scope: 'col' }, 'Kind'), h('th', { scope: 'col' }, 'What'), h('th', { scope: 'col' }, 'Duration'), h('th', { scope: 'col' }, 'Data'))), h('tbody', {}, ...tl.items.map((i) => h('tr', { 'data-seq': i.seq, 'data-kind': i.kind }, h('td', { class: 'num' }, i.seq), h('td', {}, when(i.time)), h('td', {}, h('code', {}, i.kind)), h('td', {}, itemText(i)), h('td', { class: 'num' }, i.durationMs !== undefined ? `${i.durationMs} ms` : ''), h('td', {}, itemData(i) === undefined ? '' : h('details', {}, h('summary', {}, 'data'), h('pre', {}, pretty(itemData(i), 4000))))))))),
      ),
    );
    if (!FINISHED.has(m.runtimeStatus)) timer = setTimeout(poll, POLL_MS);
  };
  await refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
