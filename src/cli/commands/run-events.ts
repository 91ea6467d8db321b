/**
 * @module cli/commands/run-events
 * Events for `swirl run` (specs/cli.md "swirl run: events"): the `--event name=<json|@file>` values
 * are delivered to the instance when it starts waiting for that event definition, as a CloudEvent
 * built from the definition (type, source) with the correlation attributes the wait expects; a
 * wait for an event no `--event` supplies gets a one-time hint on stderr naming the event and how
 * to deliver it. Waits are seen by inspecting the instance (its state-level view) every 200 ms.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { currentStates, didYouMean, type CurrentStateWait, type Definition, type Engine, type WorkflowGraph } from '../../index.js';

/** One `--event` value: the event definition's name and the JSON given for it. */
export interface EventArgument {
  name: string;
  value: unknown;
}

/** Commander collector of the repeatable `--event name=<json|@file>`. */
export function collectEvent(text: string, previous: string[]): string[] {
  return [...previous, text];
}

/**
 * Parses the `--event` flags against the workflow's event definitions. Names match a definition's
 * `name` (case-insensitively, as engine event names do).
 * @throws Error naming the flag: no `=`, unreadable file, bad JSON, unknown event (with a did-you-mean)
 */
export function parseEventArguments(flags: readonly string[], graph: WorkflowGraph): EventArgument[] {
  const names = [...graph.events.keys()];
  return flags.map((flag) => {
    const eq = flag.indexOf('=');
    if (eq <= 0) throw new Error(`--event expects name=<json> or name=@file.json, got '${flag}'`);
    const given = flag.slice(0, eq);
    const name = names.find((n) => n === given) ?? names.find((n) => n.toLowerCase() === given.toLowerCase());
    if (name === undefined) {
      const known = names.length > 0 ? ` (it defines ${names.map((n) => `'${n}'`).join(', ')})` : ' (it defines no events)';
      throw new Error(`--event ${given}: workflow '${graph.id}' has no event definition named '${given}'${known}${didYouMean(given, names)}`);
    }
    const text = flag.slice(eq + 1);
    let source = text;
    if (text.startsWith('@')) {
      try {
        source = readFileSync(text.slice(1), 'utf8');
      } catch (err) {
        throw new Error(`--event ${given}: cannot read ${text.slice(1)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }
    try {
      return { name, value: JSON.parse(source) as unknown };
    } catch (err) {
      throw new Error(`--event ${given}: ${text.startsWith('@') ? text.slice(1) : 'the value'} is not valid JSON: ${(err as Error).message}`);
    }
  });
}

type EventWait = Extract<CurrentStateWait, { kind: 'event' }>;

/** A top-level field of `data` named like the attribute (exactly, else case-insensitively), as text. */
function dataField(data: unknown, attribute: string): string | undefined {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined;
  const o = data as Record<string, unknown>;
  const key = attribute in o ? attribute : Object.keys(o).find((k) => k.toLowerCase() === attribute);
  const v = key === undefined ? undefined : o[key];
  return v === undefined || v === null || typeof v === 'object' ? undefined : String(v);
}

/**
 * The CloudEvent delivered for `arg` to a wait. A value with `specversion` is a whole CloudEvent
 * (its attributes are kept; type, source and id are filled in when missing); any other value is
 * the event's `data`. Each correlation attribute the CloudEvent lacks is the value the wait expects,
 * else the data's top-level field of that name. Returns the attributes that have no value.
 */
export function cloudEventFor(def: Definition.EventDef, arg: EventArgument, wait: EventWait): { event: Record<string, unknown>; missing: string[] } {
  const whole = arg.value !== null && typeof arg.value === 'object' && !Array.isArray(arg.value) && 'specversion' in arg.value;
  const event: Record<string, unknown> = whole
    ? { ...(arg.value as Record<string, unknown>) }
    : { specversion: '1.0', datacontenttype: 'application/json', data: arg.value };
  event.type ??= def.type ?? def.name;
  event.source ??= def.source ?? 'swirl-run';
  event.id ??= randomUUID();
  event.time ??= new Date().toISOString();
  const missing: string[] = [];
  for (const rule of def.correlation ?? []) {
    const attribute = rule.contextAttributeName.toLowerCase();
    if (event[attribute] !== undefined) continue;
    const value = wait.correlation?.find((c) => c.attribute === attribute)?.value ?? dataField(event.data, attribute);
    if (value === undefined) missing.push(attribute);
    else event[attribute] = value;
  }
  return { event, missing };
}

/** The stderr hint for a wait nobody in this run will satisfy. */
export function undeliveredHint(instanceId: string, state: string, def: Definition.EventDef): string {
  const what = [`type '${def.type ?? def.name}'`, ...(def.source ? [`source '${def.source}'`] : [])].join(', ');
  return (
    `[swirl] instance ${instanceId} is waiting in state '${state}' for event '${def.name}' (${what}); nothing delivers it in this run.\n` +
    `    hint: pass it: swirl run … --event ${def.name}=@event.json (the event's data, or a whole CloudEvent)\n` +
    `    hint: or run the workflow under 'swirl serve' and POST the CloudEvent to /api/v1/events\n`
  );
}

/** What {@link watchEventWaits} reports to. */
export interface EventWatchSink {
  write(text: string): void;
}

/**
 * Watches the instance's event waits until `stop()`: at each new wait, delivers the next queued
 * `--event` of every event it lists, or prints the hint (once per event name). `stop()` resolves
 * to the names of the `--event` values never delivered (one entry per value).
 */
export function watchEventWaits(engine: Engine, graph: WorkflowGraph, instanceId: string, args: readonly EventArgument[], sink: EventWatchSink): { stop(): Promise<string[]> } {
  const queue = new Map<string, EventArgument[]>();
  for (const a of args) queue.set(a.name, [...(queue.get(a.name) ?? []), a]);
  const seen = new Set<string>();
  const hinted = new Set<string>();
  let stopped = false;
  let wake: () => void = () => undefined;

  const onWait = async (state: string, wait: EventWait, key: string) => {
    seen.add(key);
    for (const name of wait.events) {
      const def = graph.events.get(name);
      if (!def) continue;
      const next = queue.get(name)?.shift();
      if (next === undefined) {
        if (!hinted.has(name)) sink.write(undeliveredHint(instanceId, state, def));
        hinted.add(name);
        continue;
      }
      const { event, missing } = cloudEventFor(def, next, wait);
      if (missing.length > 0) {
        sink.write(`swirl run: --event ${name}: not delivered: no value for its correlation attribute${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')} (put ${missing.length > 1 ? 'them' : 'it'} in the data's top level, or pass a whole CloudEvent)\n`);
        continue;
      }
      await engine.client.raiseEvent(instanceId, def.name, event);
      sink.write(`[swirl] delivered --event ${name} to state '${state}' (CloudEvent type '${String(event.type)}', id ${String(event.id)})\n`);
    }
  };

  const loop = (async () => {
    while (!stopped) {
      try {
        const states = currentStates((await engine.client.inspect(instanceId)).notes);
        for (const s of states) {
          const w = s.waitingFor;
          if (w?.kind !== 'event') continue;
          const key = `${s.state}\n${s.branch ?? ''}\n${s.iteration ?? ''}\n${w.since}\n${w.events.join('\n')}`;
          if (!seen.has(key)) await onWait(s.state, w, key);
        }
      } catch {
        // Not created yet, or finished and purged: the run's own wait reports what happened.
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, 200);
        wake = () => (clearTimeout(t), r());
      });
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      wake();
      await loop;
      return [...queue.values()].flat().map((a) => a.name);
    },
  };
}
