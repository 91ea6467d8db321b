/**
 * @module graph/render-mermaid
 * WorkflowGraph → Mermaid flowchart text (`swirl graph`). Node shapes follow the state type
 * (switch = decision diamond, event/callback = waits, sleep = stadium); error edges are dotted,
 * compensation edges dashed and labelled, ends go to a terminal node.
 */
import type { StateType } from '../definition/types.js';
import { assertNever } from '../errors.js';
import { EdgeKind, type Edge, type WorkflowGraph } from './types.js';

/** Renders the graph as a Mermaid `flowchart TD`. */
export function renderMermaid(graph: WorkflowGraph): string {
  const ids = new Map<string, string>();
  [...graph.nodes.keys()].forEach((name, i) => ids.set(name, `s${i}`));
  const lines = ['flowchart TD', '  start((start))', `  start --> ${ids.get(graph.start)}`];
  for (const node of graph.nodes.values()) {
    lines.push(`  ${ids.get(node.name)}${shape(node.type, `${node.name}<br/><i>${node.type}</i>`)}`);
  }
  let ends = 0;
  for (const edge of graph.edges) {
    const from = ids.get(edge.from)!;
    let to: string;
    if (edge.to !== undefined) to = ids.get(edge.to) ?? `missing_${edge.to.replace(/\W/g, '_')}`;
    else {
      to = `end${ends++}`;
      const e = edge.end!;
      const label = e.continueAs ? `continueAs ${e.continueAs.workflowId}` : e.terminate ? 'terminate' : 'end';
      lines.push(`  ${to}(((${quote(label)})))`);
    }
    lines.push(`  ${from} ${arrow(edge)} ${to}`);
  }
  lines.push('  classDef compensation stroke-dasharray: 5 5');
  const comp = [...graph.nodes.values()].filter((n) => n.usedForCompensation).map((n) => ids.get(n.name));
  if (comp.length > 0) lines.push(`  class ${comp.join(',')} compensation`);
  return lines.join('\n') + '\n';
}

function arrow(edge: Edge): string {
  const label = edge.label ? `|${quote(edge.label)}|` : '';
  switch (edge.kind) {
    case EdgeKind.Transition:
    case EdgeKind.Condition:
    case EdgeKind.Default:
      return `-->${label}`;
    case EdgeKind.Error:
      return `-.->${edge.label ? `|${quote(`onError ${edge.label}`)}|` : ''}`;
    case EdgeKind.Compensation:
      return `-.->|"compensatedBy"|`;
    default:
      return assertNever(edge.kind, 'edge kind');
  }
}

function shape(type: StateType, label: string): string {
  const q = quote(label);
  switch (type) {
    case 'switch':
      return `{${q}}`;
    case 'event':
    case 'callback':
      return `>${q}]`;
    case 'sleep':
      return `([${q}])`;
    case 'parallel':
    case 'foreach':
      return `[[${q}]]`;
    case 'operation':
    case 'inject':
      return `[${q}]`;
    default:
      return assertNever(type, 'state type');
  }
}

/** Mermaid labels in double quotes; `"` becomes `#quot;`. */
function quote(text: string): string {
  return `"${text.replace(/"/g, '#quot;')}"`;
}
