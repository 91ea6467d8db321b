/**
 * @module api/diagram-routes
 * The diagram of a registered workflow (its current version): `GET /api/v1/workflows/{id}/diagram`
 * (the ELK layout as JSON, boxes by state name, for clients that draw or highlight themselves) and
 * `GET /api/v1/workflows/{id}/diagram.svg` (the same layout drawn; what the dashboard shows).
 */
import { layoutDiagram } from '../graph/diagram/layout.js';
import { renderSvg } from '../graph/diagram/svg.js';
import type { Diagram } from '../graph/diagram/types.js';
import type { WorkflowGraph } from '../graph/types.js';
import type { SwirlHost } from '../host/host.js';
import { HttpError, json } from './http-error.js';
import type { Router } from './router.js';

/**
 * Layouts by graph: a graph is immutable, so its layout never changes; the weak map lets a replaced
 * version's layout go with its graph.
 */
const layouts = new WeakMap<WorkflowGraph, Promise<Diagram>>();

function layoutOf(graph: WorkflowGraph): Promise<Diagram> {
  let d = layouts.get(graph);
  if (!d) {
    d = layoutDiagram(graph);
    layouts.set(graph, d);
    d.catch(() => layouts.delete(graph));
  }
  return d;
}

/** Registers the diagram routes. */
export function registerDiagramRoutes(router: Router, host: SwirlHost): void {
  const graphOf = async (id: string): Promise<WorkflowGraph> => {
    await host.knowWorkflow(id);
    const graph = host.catalog.graph(id);
    if (!graph) throw new HttpError(404, 'ERR_WORKFLOW_NOT_FOUND', `no workflow definition with id '${id}' is registered`);
    return graph;
  };
  // The ETag is the definition hash: a client that has the drawing of this version keeps it.
  const etag = (graph: WorkflowGraph) => `"${graph.hash.slice(0, 32)}"`;
  const notModified = (req: Request, tag: string) => (req.headers.get('if-none-match') === tag ? new Response(null, { status: 304, headers: { etag: tag } }) : undefined);

  router.on('GET', '/api/v1/workflows/:id/diagram', async (req, p) => {
    const graph = await graphOf(p.id!);
    const tag = etag(graph);
    return notModified(req, tag) ?? json(200, { hash: graph.hash, ...(await layoutOf(graph)) }, { etag: tag, 'cache-control': 'no-cache' });
  });

  router.on('GET', '/api/v1/workflows/:id/diagram.svg', async (req, p) => {
    const graph = await graphOf(p.id!);
    const tag = etag(graph);
    return (
      notModified(req, tag) ??
      new Response(renderSvg(await layoutOf(graph)), { status: 200, headers: { 'content-type': 'image/svg+xml; charset=utf-8', etag: tag, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' } })
    );
  });
}
