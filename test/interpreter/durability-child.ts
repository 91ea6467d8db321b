// Child process of the durability test: runs (or resumes) instance argv[3] on sqlite store argv[2]
// and prints `running`, then its output JSON. The parent SIGKILLs it at random moments of the run.
import { createEngine } from '../../src/engine/engine.js';
import { initExpressions } from '../../src/expressions/index.js';
import { loadWorkflowText } from '../../src/graph/load.js';
import { registerWorkflow } from '../../src/interpreter/index.js';
import { DURABLE_WORKFLOW, flakyHost } from './durability-workflow.js';

const [store, instanceId] = process.argv.slice(2);
await initExpressions();
const engine = await createEngine({ store: `sqlite:${store}`, pollIntervalMs: 20, leaseMs: 400 });
const name = registerWorkflow(engine, await loadWorkflowText(JSON.stringify(DURABLE_WORKFLOW)), { components: flakyHost() as never });
await engine.start();
if (!(await engine.client.get(instanceId))) await engine.client.start(name, {}, { instanceId });
// The parent times its kill from here, so it lands inside the run however long start-up took.
process.stdout.write('running\n');
const r = await engine.client.waitForCompletion(instanceId, { timeoutMs: 60_000 });
process.stdout.write(`${JSON.stringify({ status: r.runtimeStatus, output: r.output, failure: r.failure?.message })}\n`);
await engine.stop();
process.exit(0);
