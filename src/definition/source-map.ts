/**
 * @module definition/source-map
 * Where each value of a parsed document sits in its text: a map from JSON pointer to the
 * line/column of the value (and of its key, for mapping entries). Built from js-yaml's event stream,
 * which works for YAML and JSON alike (JSON is YAML 1.2 flow style).
 */
import { parseEvents, getScalarValue, EVENT_ID, type Event } from 'js-yaml';
import { joinPointer, splitPointer } from './json-pointer.js';

/** 1-based line and column. */
export interface Position {
  line: number;
  column: number;
}

/** Positions of every node of one document, by JSON pointer. */
export class SourceMap {
  private readonly lineStarts: number[];
  /** pointer → offset of the value. */
  private readonly values = new Map<string, number>();
  /** pointer → offset of the value's first character inside its quotes (scalars only). */
  private readonly scalars = new Map<string, number>();
  /** pointer → offset of the key that introduces the value (mapping entries only). */
  private readonly keys = new Map<string, number>();

  constructor(readonly text: string) {
    this.lineStarts = [0];
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.lineStarts.push(i + 1);
  }

  /** @internal used while building */
  record(pointer: string, valueOffset: number, keyOffset?: number): void {
    // Empty scalars (`end:` with nothing after it) have no offset of their own: use the key's.
    const value = valueOffset >= 0 ? valueOffset : keyOffset;
    if (value !== undefined && value >= 0) this.values.set(pointer, value);
    if (keyOffset !== undefined && keyOffset >= 0) this.keys.set(pointer, keyOffset);
  }

  /** @internal used while building: where a scalar's content starts (after an opening quote). */
  recordScalar(pointer: string, contentOffset: number): void {
    if (contentOffset >= 0) this.scalars.set(pointer, contentOffset);
  }

  /**
   * Where character `index` of the string value at `pointer` is written: exact when the text up
   * to it is written as it reads (no escapes, no folded lines, no stripped indentation before
   * it); otherwise where the value starts, as {@link locate}.
   */
  locateWithin(pointer: string, value: string, index: number): Position {
    const start = this.scalars.get(pointer);
    if (start !== undefined && index >= 0 && index <= value.length && this.text.startsWith(value.slice(0, index), start)) return this.positionOf(start + index);
    return this.locate(pointer);
  }

  /** Line/column of a text offset. */
  positionOf(offset: number): Position {
    offset = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.lineStarts[lo] + 1 };
  }

  /**
   * Where a pointer's value is. With `preferKey`, a mapping entry reports its key (so
   * "unknown property" points at the property name). A pointer to something that does not exist
   * (a missing property) resolves to its nearest existing ancestor.
   */
  locate(pointer: string, preferKey = false): Position {
    let segments = splitPointer(pointer);
    while (true) {
      const p = segments.length === 0 ? '' : joinPointer('', ...segments);
      const offset = (preferKey ? this.keys.get(p) : undefined) ?? this.values.get(p);
      if (offset !== undefined) return this.positionOf(offset);
      if (segments.length === 0) return { line: 1, column: 1 };
      segments = segments.slice(0, -1);
    }
  }

  /** Builds the map for a text that is already known to parse. Never throws: on trouble, an empty map. */
  static build(text: string): SourceMap {
    const map = new SourceMap(text);
    let events: Event[];
    try {
      events = parseEvents(text, {});
    } catch {
      return map;
    }
    walk(events, map);
    return map;
  }
}

/** Offset where an event's node starts in the text. */
function startOf(e: Event): number {
  switch (e.type) {
    case EVENT_ID.SCALAR: {
      // Quoted scalars: point at the opening quote, which is where an editor puts the value.
      const quoted = e.style === 2 || e.style === 3;
      return quoted ? Math.max(0, e.valueStart - 1) : e.valueStart;
    }
    case EVENT_ID.MAPPING:
    case EVENT_ID.SEQUENCE:
      return e.start;
    case EVENT_ID.ALIAS:
      return Math.max(0, e.anchorStart - 1);
    default:
      return 0;
  }
}

/** Walks the flat event stream of the first document, recording every node's pointer. */
function walk(events: Event[], map: SourceMap): void {
  let i = 0;
  // Skip to the first document's root node.
  while (i < events.length && events[i].type === EVENT_ID.DOCUMENT) i++;

  const node = (pointer: string, keyOffset?: number): void => {
    const e = events[i++];
    if (!e) return;
    map.record(pointer, startOf(e), keyOffset);
    if (e.type === EVENT_ID.SCALAR) map.recordScalar(pointer, e.valueStart);
    if (e.type === EVENT_ID.MAPPING) {
      while (i < events.length && events[i].type !== EVENT_ID.POP) {
        const k = events[i];
        const key = k.type === EVENT_ID.SCALAR ? getScalarValue(map.text, k) : String(i);
        const kOffset = startOf(k);
        i++; // the key
        node(joinPointer(pointer, key), kOffset);
      }
      i++; // POP
    } else if (e.type === EVENT_ID.SEQUENCE) {
      let index = 0;
      while (i < events.length && events[i].type !== EVENT_ID.POP) node(joinPointer(pointer, index++));
      i++; // POP
    }
  };
  node('');
}
