/**
 * @module definition/checks/references
 * Named references resolve in their sections: functionRef → `functions`, eventRef / onEvents /
 * eventConditions / callback / produceEvents → `events` (with the right kind: triggers and produced
 * events must be `produced`, everything awaited must be `consumed`, spec §Event Definition), retryRef →
 * `retries`, errorRef(s) and retryable/nonRetryableErrors → `errors`, subFlowRef / continueAs → the
 * workflows validated together (a warning: the host may know more workflows), a function's authRef
 * (and Swirl's `metadata.invocationAuthRef`) → inline `auth`.
 */
import { DiagnosticCode } from '../diagnostic.js';
import { joinPointer } from '../json-pointer.js';
import { closest } from '../suggest.js';
import { actionsOf, arrayOrEmpty, endsOf, isObject, states, transitionObjectsOf } from '../walk.js';
import type { CheckContext, Section } from './context.js';

type Obj = Record<string, unknown>;

export function checkReferences(ctx: CheckContext): void {
  checkAuthRefs(ctx);
  for (const { state, pointer } of states(ctx.doc)) {
    const owner = `state '${String(state.name)}'`;
    for (const { action, pointer: ap } of actionsOf(state, pointer)) checkAction(ctx, owner, action, ap);

    arrayOrEmpty(state.onEvents).forEach((on, i) => {
      if (!isObject(on)) return;
      arrayOrEmpty(on.eventRefs).forEach((ref, j) => {
        if (typeof ref === 'string') checkEvent(ctx, owner, ref, joinPointer(pointer, 'onEvents', i, 'eventRefs', j), 'consumed');
      });
    });
    arrayOrEmpty(state.eventConditions).forEach((c, i) => {
      if (isObject(c) && typeof c.eventRef === 'string') checkEvent(ctx, owner, c.eventRef, joinPointer(pointer, 'eventConditions', i, 'eventRef'), 'consumed');
    });
    if (state.type === 'callback' && typeof state.eventRef === 'string') {
      checkEvent(ctx, owner, state.eventRef, joinPointer(pointer, 'eventRef'), 'consumed');
    }
    arrayOrEmpty(state.onErrors).forEach((o, i) => {
      if (!isObject(o)) return;
      if (typeof o.errorRef === 'string') checkName(ctx, ctx.errors, 'error', owner, o.errorRef, joinPointer(pointer, 'onErrors', i, 'errorRef'));
      arrayOrEmpty(o.errorRefs).forEach((e, j) => {
        if (typeof e === 'string') checkName(ctx, ctx.errors, 'error', owner, e, joinPointer(pointer, 'onErrors', i, 'errorRefs', j));
      });
    });
    for (const { end, pointer: ep } of endsOf(state, pointer)) {
      if (!isObject(end)) continue;
      checkProduceEvents(ctx, owner, end.produceEvents, joinPointer(ep, 'produceEvents'));
      const continueAs = end.continueAs;
      const id = typeof continueAs === 'string' ? continueAs : isObject(continueAs) ? continueAs.workflowId : undefined;
      const idPointer = typeof continueAs === 'string' ? joinPointer(ep, 'continueAs') : joinPointer(ep, 'continueAs', 'workflowId');
      if (typeof id === 'string') checkWorkflow(ctx, owner, id, idPointer, 'continueAs');
    }
    for (const { transition, pointer: tp } of transitionObjectsOf(state, pointer)) {
      checkProduceEvents(ctx, owner, transition.produceEvents, joinPointer(tp, 'produceEvents'));
    }
  }
}

function checkAction(ctx: CheckContext, owner: string, action: Obj, pointer: string): void {
  const fn = action.functionRef;
  if (typeof fn === 'string') checkName(ctx, ctx.functions, 'function', owner, fn, joinPointer(pointer, 'functionRef'));
  else if (isObject(fn) && typeof fn.refName === 'string') {
    checkName(ctx, ctx.functions, 'function', owner, fn.refName, joinPointer(pointer, 'functionRef', 'refName'));
  }
  const ev = action.eventRef;
  if (isObject(ev)) {
    if (typeof ev.triggerEventRef === 'string') checkEvent(ctx, owner, ev.triggerEventRef, joinPointer(pointer, 'eventRef', 'triggerEventRef'), 'produced');
    if (typeof ev.resultEventRef === 'string') checkEvent(ctx, owner, ev.resultEventRef, joinPointer(pointer, 'eventRef', 'resultEventRef'), 'consumed');
  }
  const sub = action.subFlowRef;
  if (typeof sub === 'string') checkWorkflow(ctx, owner, sub, joinPointer(pointer, 'subFlowRef'), 'subFlowRef');
  else if (isObject(sub) && typeof sub.workflowId === 'string') checkWorkflow(ctx, owner, sub.workflowId, joinPointer(pointer, 'subFlowRef', 'workflowId'), 'subFlowRef');
  if (typeof action.retryRef === 'string') {
    checkName(ctx, ctx.retries, 'retry', owner, action.retryRef, joinPointer(pointer, 'retryRef'));
    // Spec §Retry Definition / specs/semantics.md A14: with autoRetries false (the default), only the
    // errors listed in retryableErrors are retried: without them the retryRef does nothing.
    if (ctx.doc.autoRetries !== true && arrayOrEmpty(action.retryableErrors).length === 0) {
      ctx.r.warning(DiagnosticCode.RetryNeverRetries, joinPointer(pointer, 'retryRef'), `${owner}: retryRef '${action.retryRef}' never retries: the action lists no 'retryableErrors' and the workflow's 'autoRetries' is false`, {
        hint: "list the errors to retry in 'retryableErrors' (names from 'errors'), or set 'autoRetries: true' on the workflow to retry every error but 'nonRetryableErrors'",
      });
    }
  }
  for (const key of ['retryableErrors', 'nonRetryableErrors'] as const) {
    arrayOrEmpty(action[key]).forEach((e, i) => {
      if (typeof e === 'string') checkName(ctx, ctx.errors, 'error', owner, e, joinPointer(pointer, key, i));
    });
  }
}

/** authRef names of inline functions resolve in `auth` (inline, or loaded from its file). */
function checkAuthRefs(ctx: CheckContext): void {
  const functions = ctx.doc.functions;
  if (!Array.isArray(functions)) return;
  const auth = ctx.doc.auth;
  // An external auth file that could not be read was reported where it is referenced.
  if (typeof auth === 'string' && !ctx.auth.byName) return;
  const names = new Set(ctx.auth.byName?.keys() ?? []);
  functions.forEach((fn, i) => {
    if (!isObject(fn)) return;
    const owner = `function '${String(fn.name)}'`;
    const refs: { name: unknown; pointer: string }[] = [{ name: fn.authRef, pointer: joinPointer('/functions', i, 'authRef') }];
    if (isObject(fn.metadata)) refs.push({ name: fn.metadata.invocationAuthRef, pointer: joinPointer('/functions', i, 'metadata', 'invocationAuthRef') });
    for (const { name, pointer } of refs) {
      if (typeof name !== 'string' || names.has(name)) continue;
      if (auth === undefined) {
        ctx.r.error(DiagnosticCode.UnknownAuth, pointer, `${owner}: auth '${name}' is not defined: the workflow has no 'auth'`);
        continue;
      }
      const suggestion = closest(name, names);
      ctx.r.error(DiagnosticCode.UnknownAuth, pointer, `${owner}: unknown auth '${name}'${suggestion ? `; did you mean '${suggestion}'?` : ''}`, {
        hint: suggestion || names.size === 0 ? undefined : `defined: ${[...names].join(', ')}`,
      });
    }
  });
}

function checkProduceEvents(ctx: CheckContext, owner: string, list: unknown, pointer: string): void {
  arrayOrEmpty(list).forEach((p, i) => {
    if (isObject(p) && typeof p.eventRef === 'string') checkEvent(ctx, owner, p.eventRef, joinPointer(pointer, i, 'eventRef'), 'produced', true);
  });
}

/** Reports a name that its section does not define. Returns the item when it exists. */
function checkName(ctx: CheckContext, section: Section, kind: string, owner: string, name: string, pointer: string): Obj | undefined {
  if (!section.byName) {
    // No name table: either the section is missing altogether (an error) or an external file could
    // not be read (already reported where it is referenced; do not cascade).
    const plural = kind === 'retry' ? 'retries' : `${kind}s`;
    if (ctx.doc[plural] === undefined || ctx.doc[plural] === null) {
      ctx.r.error(unknownCode(kind), pointer, `${owner}: ${kind} '${name}' is not defined: the workflow has no '${plural}'`);
    }
    return undefined;
  }
  const item = section.byName.get(name);
  if (item) return item;
  const suggestion = closest(name, section.byName.keys());
  ctx.r.error(unknownCode(kind), pointer, `${owner}: unknown ${kind} '${name}'${suggestion ? `; did you mean '${suggestion}'?` : ''}`, {
    hint: suggestion || section.byName.size === 0 ? undefined : `defined: ${[...section.byName.keys()].join(', ')}`,
  });
  return undefined;
}

/**
 * An event reference resolves, and its definition's kind fits the use. `lenient`: produceEvents,
 * where the spec only asks for a defined event, so a definition without `kind` (which defaults to
 * consumed) is a warning; an explicit `kind: consumed` and a triggerEventRef (spec §EventRef
 * Definition: "must be of kind produced") stay errors.
 */
function checkEvent(ctx: CheckContext, owner: string, name: string, pointer: string, expected: 'consumed' | 'produced', lenient = false): void {
  const def = checkName(ctx, ctx.events, 'event', owner, name, pointer);
  if (!def) return;
  const kind = def.kind === 'produced' ? 'produced' : 'consumed'; // 0.8 default kind is consumed
  if (kind === expected) return;
  const hint = `set 'kind: ${expected}' on event '${name}' or reference another event`;
  if (expected === 'consumed') {
    ctx.r.error(DiagnosticCode.EventKind, pointer, `${owner}: waits for event '${name}', but it is defined with kind 'produced'`, { hint });
  } else if (lenient && def.kind === undefined) {
    ctx.r.warning(DiagnosticCode.EventKind, pointer, `${owner}: produces event '${name}', whose definition has no 'kind' (so it defaults to 'consumed')`, { hint });
  } else {
    ctx.r.error(DiagnosticCode.EventKind, pointer, `${owner}: produces event '${name}', but it is defined with kind '${kind}'`, { hint });
  }
}

function checkWorkflow(ctx: CheckContext, owner: string, id: string, pointer: string, via: string): void {
  if (!ctx.workflowIds || ctx.workflowIds.has(id)) return;
  const suggestion = closest(id, ctx.workflowIds);
  ctx.r.warning(
    DiagnosticCode.UnknownSubflow,
    pointer,
    `${owner}: ${via} '${id}' is not among the workflows validated together${suggestion ? `; did you mean '${suggestion}'?` : ''}`,
    { hint: 'validate the directory that holds all your workflows, or register that workflow before running this one' },
  );
}

function unknownCode(kind: string): DiagnosticCode {
  switch (kind) {
    case 'function':
      return DiagnosticCode.UnknownFunction;
    case 'event':
      return DiagnosticCode.UnknownEvent;
    case 'retry':
      return DiagnosticCode.UnknownRetry;
    default:
      return DiagnosticCode.UnknownError;
  }
}
