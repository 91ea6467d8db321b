/**
 * @module graph/diagram/layout
 * WorkflowGraph → {@link Diagram}: the boxes and edges of the workflow, positioned by ELK's layered
 * (Sugiyama) algorithm (elkjs). Parallel states and foreach states are compound boxes: a parallel
 * state holds one box per branch, each holding its actions in order; a foreach state holds its
 * actions. Every end of a path gets its own end box, labelled with its kind.
 */
import type { ElkExtendedEdge, ElkNode } from 'elkjs/lib/elk-api.js';
import { loadOnUse } from '../../optional-module.js';
import type { Action, ForeachState, ParallelState } from '../../definition/types.js';
import { assertNever } from '../../errors.js';
import { EdgeKind, type CompiledEnd, type Edge, type StateNode, type WorkflowGraph } from '../types.js';
import { DiagramNodeKind, EndKind, type Diagram, type DiagramEdge, type DiagramNode } from './types.js';

/** Text metrics the renderer uses too (an estimate: no font is measured in a pure function). */
export const TEXT = { fontSize: 13, smallFontSize: 11, charWidth: 7.4, smallCharWidth: 6.3, lineHeight: 17 } as const;
/** Longest label drawn in full; longer ones are cut with an ellipsis (a jq condition can be long). */
export const MAX_LABEL_CHARS = 48;
const PAD_X = 14;
const PAD_Y = 8;
/** Diagrams of more states than this are refused (layout time grows with the graph). */
export const MAX_DIAGRAM_STATES = 500;

/** Cuts text to `max` characters with an ellipsis. */
export function clip(text: string, max = MAX_LABEL_CHARS): string {
  return text.length <= max ? text : text.slice(0, max - 1) + '…';
}

/** A box's size from its two text lines. */
function boxSize(label: string, sublabel: string | undefined, minWidth = 90): { width: number; height: number } {
  const w = Math.max(clip(label).length * TEXT.charWidth, sublabel ? clip(sublabel).length * TEXT.smallCharWidth : 0);
  return { width: Math.max(minWidth, Math.ceil(w + 2 * PAD_X)), height: Math.ceil(2 * PAD_Y + TEXT.lineHeight * (sublabel ? 2 : 1)) };
}

/** What an action calls, for its box. */
export function actionTarget(action: Action): string {
  if (action.functionRef !== undefined) return typeof action.functionRef === 'string' ? action.functionRef : action.functionRef.refName;
  if (action.subFlowRef !== undefined) return `subflow ${typeof action.subFlowRef === 'string' ? action.subFlowRef : action.subFlowRef.workflowId}`;
  if (action.eventRef !== undefined) return `event ${action.eventRef.triggerEventRef} → ${action.eventRef.resultEventRef}`;
  return 'sleep';
}

/** The kind of an end, the strongest first: continueAs, terminate, compensate, plain end. */
export function endKindOf(end: CompiledEnd): EndKind {
  if (end.continueAs) return EndKind.ContinueAs;
  if (end.terminate) return EndKind.Terminate;
  if (end.compensate) return EndKind.Compensate;
  return EndKind.End;
}

/** What an edge says: its kind's text, then `compensate` when taking it compensates first. */
function edgeLabel(edge: Edge): string | undefined {
  const text = edgeKindLabel(edge);
  if (!edge.compensate || edge.kind === EdgeKind.Compensation) return text;
  return text === undefined ? 'compensate' : `${text} · compensate`;
}

function edgeKindLabel(edge: Edge): string | undefined {
  switch (edge.kind) {
    case EdgeKind.Transition:
      return undefined;
    case EdgeKind.Condition:
      return edge.label;
    case EdgeKind.Default:
      return 'default';
    case EdgeKind.Error:
      return edge.label ? `onError ${edge.label}` : 'onError';
    case EdgeKind.Compensation:
      return 'compensatedBy';
    default:
      return assertNever(edge.kind, 'edge kind');
  }
}

function labelled(text: string | undefined): Pick<ElkExtendedEdge, 'labels'> {
  if (text === undefined || text === '') return {};
  const t = clip(text);
  return { labels: [{ text: t, width: Math.ceil(t.length * TEXT.smallCharWidth + 8), height: TEXT.lineHeight }] };
}

/** Extra data kept beside each ELK node, by id, to build the diagram nodes after layout. */
type Meta = Omit<DiagramNode, 'x' | 'y' | 'width' | 'height' | 'children' | 'edges' | 'id'>;

interface Build {
  meta: Map<string, Meta>;
  edgeMeta: Map<string, Pick<DiagramEdge, 'kind' | 'label' | 'fromState' | 'toState'>>;
}

/** The actions of a compound box as a chain of boxes (order = execution order of sequential mode). */
function actionChain(b: Build, prefix: string, state: string, actions: readonly Action[]): { children: ElkNode[]; edges: ElkExtendedEdge[] } {
  const children = actions.map((a, i): ElkNode => {
    const id = `${prefix}/action${i}`;
    const label = a.name ?? `action ${i + 1}`;
    const sublabel = actionTarget(a);
    b.meta.set(id, { kind: DiagramNodeKind.Action, label, sublabel, state });
    return { id, ...boxSize(label, sublabel, 70) };
  });
  const edges = children.slice(1).map((c, i): ElkExtendedEdge => {
    const id = `${prefix}/seq${i}`;
    b.edgeMeta.set(id, { kind: 'sequence', fromState: state, toState: state });
    return { id, sources: [children[i]!.id], targets: [c.id] };
  });
  return { children, edges };
}

const COMPOUND_OPTIONS = { 'elk.padding': '[top=44,left=12,bottom=12,right=12]', 'elk.direction': 'DOWN', 'elk.spacing.nodeNode': '16' };

function stateBox(b: Build, node: StateNode): ElkNode {
  const id = `state:${node.name}`;
  const sublabel = node.type === 'operation' ? `operation · ${(node.definition as { actions?: unknown[] }).actions?.length ?? 0} action(s)` : node.type;
  b.meta.set(id, { kind: DiagramNodeKind.State, label: node.name, sublabel, state: node.name, stateType: node.type, ...(node.usedForCompensation ? { compensation: true } : {}) });
  const size = boxSize(node.name, sublabel, 110);
  switch (node.type) {
    case 'parallel': {
      const def = node.definition as ParallelState;
      const branches = (def.branches ?? []).map((br, i): ElkNode => {
        const bid = `${id}/branch${i}`;
        b.meta.set(bid, { kind: DiagramNodeKind.Branch, label: br.name, sublabel: 'branch', state: node.name });
        return { id: bid, layoutOptions: COMPOUND_OPTIONS, ...actionChain(b, bid, node.name, br.actions ?? []), ...(br.actions?.length ? {} : boxSize(br.name, 'branch')) };
      });
      return { id, layoutOptions: { ...COMPOUND_OPTIONS, 'elk.direction': 'RIGHT', 'elk.nodeSize.minimum': `(${size.width},${size.height})`, 'elk.nodeSize.constraints': 'MINIMUM_SIZE' }, children: branches };
    }
    case 'foreach': {
      const def = node.definition as ForeachState;
      const chain = actionChain(b, id, node.name, def.actions ?? []);
      if (chain.children.length === 0) return { id, ...size };
      return { id, layoutOptions: { ...COMPOUND_OPTIONS, 'elk.nodeSize.minimum': `(${size.width},${size.height})`, 'elk.nodeSize.constraints': 'MINIMUM_SIZE' }, ...chain };
    }
    case 'operation':
    case 'switch':
    case 'event':
    case 'callback':
    case 'sleep':
    case 'inject':
      return { id, ...size };
    default:
      return assertNever(node.type, 'state type');
  }
}

/** Turns ELK's laid-out node back into a diagram node (recursively). */
function fromElk(b: Build, n: ElkNode): DiagramNode {
  const meta = b.meta.get(n.id)!;
  const out: DiagramNode = { id: n.id, ...meta, x: n.x ?? 0, y: n.y ?? 0, width: n.width ?? 0, height: n.height ?? 0 };
  if (n.children && n.children.length > 0) out.children = n.children.map((c) => fromElk(b, c));
  if (n.edges && n.edges.length > 0) out.edges = n.edges.map((e) => edgeFromElk(b, e));
  return out;
}

function edgeFromElk(b: Build, e: ElkExtendedEdge): DiagramEdge {
  const meta = b.edgeMeta.get(e.id)!;
  const points = (e.sections ?? []).flatMap((s) => [s.startPoint, ...(s.bendPoints ?? []), s.endPoint]).map((p) => ({ x: p.x, y: p.y }));
  const label = e.labels?.[0];
  return {
    id: e.id,
    ...meta,
    from: e.sources[0]!,
    to: e.targets[0]!,
    points,
    ...(label ? { labelBox: { x: label.x ?? 0, y: label.y ?? 0, width: label.width ?? 0, height: label.height ?? 0 } } : {}),
  };
}

/** Lays the graph out. Pure apart from CPU time; the same graph always gives the same diagram. */
export async function layoutDiagram(graph: WorkflowGraph): Promise<Diagram> {
  if (graph.nodes.size > MAX_DIAGRAM_STATES) throw new RangeError(`workflow '${graph.id}' has ${graph.nodes.size} states: diagrams are drawn for up to ${MAX_DIAGRAM_STATES}`);
  const b: Build = { meta: new Map(), edgeMeta: new Map() };
  const children: ElkNode[] = [{ id: 'start', width: 24, height: 24 }];
  b.meta.set('start', { kind: DiagramNodeKind.Start, label: 'start' });
  for (const node of graph.nodes.values()) children.push(stateBox(b, node));
  const edges: ElkExtendedEdge[] = [];
  b.edgeMeta.set('start', { kind: 'start', toState: graph.start });
  edges.push({ id: 'start', sources: ['start'], targets: [`state:${graph.start}`] });
  graph.edges.forEach((edge, i) => {
    const id = `edge${i}`;
    let target: string;
    if (edge.to !== undefined) {
      if (!graph.nodes.has(edge.to)) return; // validation refuses it; nothing to point at
      target = `state:${edge.to}`;
    } else {
      const kind = endKindOf(edge.end!);
      target = `end${i}`;
      const sublabel = edge.end?.continueAs ? clip(edge.end.continueAs.workflowId) : undefined;
      b.meta.set(target, { kind: DiagramNodeKind.End, label: kind, ...(sublabel ? { sublabel } : {}), endKind: kind, state: edge.from });
      children.push({ id: target, ...boxSize(kind, sublabel, 70) });
    }
    const label = edgeLabel(edge);
    b.edgeMeta.set(id, { kind: edge.kind, ...(label ? { label: clip(label) } : {}), fromState: edge.from, ...(edge.to !== undefined ? { toState: edge.to } : {}) });
    edges.push({ id, sources: [`state:${edge.from}`], targets: [target], ...labelled(label) });
  });
  // elkjs (a 1.5 MB bundle, ~0.3 s of CPU to load) loads with the first diagram, not at start-up
  // (issue 12). It is CommonJS whose typings declare an ES default export: under NodeNext the
  // default is the module object, whose `default` is the constructor (at run time both are).
  const ELK = (await loadOnUse(() => import('elkjs/lib/elk.bundled.js'), 'elkjs', 'workflow diagrams')).default.default;
  const elk = new ELK();
  const root: ElkNode = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'DOWN',
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.layered.spacing.nodeNodeBetweenLayers': '40',
      'elk.spacing.nodeNode': '30',
      'elk.spacing.edgeLabel': '4',
      'elk.edgeLabels.inline': 'false',
      'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
      'elk.padding': '[top=16,left=16,bottom=16,right=16]',
    },
    children,
    edges,
  };
  const laid = await elk.layout(root);
  return {
    workflowId: graph.id,
    ...(graph.version !== undefined ? { version: graph.version } : {}),
    width: Math.ceil(laid.width ?? 0),
    height: Math.ceil(laid.height ?? 0),
    nodes: (laid.children ?? []).map((n) => fromElk(b, n)),
    edges: (laid.edges ?? []).map((e) => edgeFromElk(b, e)),
  };
}
