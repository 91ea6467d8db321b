/**
 * @module test/host/binding-kill-launcher
 * Runs the CLI like test/cli/run-cli.ts, but kill -9s its own process at one moment of an input
 * binding's delivery, named by SWIRL_TEST_BINDING_KILL:
 * - `before-commit`: the message has arrived from the broker, nothing of it is in the store yet;
 * - `after-commit`: the event is committed to the store (ingest resolved), the broker has no ack yet;
 * - `after-receive`: an asyncapi subscribe's activity got its message (ComponentHost.receive
 *   resolved), its result is not recorded yet;
 * - `at-ack`: an asyncapi subscribe's message has just been acknowledged to the broker.
 * It prints `KILLING <moment> <event id>` first, so the test knows the kill came from here.
 * Only events whose source starts with SWIRL_TEST_BINDING_KILL_SOURCE (default `swirl/bindings/`:
 * input bindings; a pub/sub test names its events' source) are affected; nothing in Swirl is told.
 */
import { SwirlHost } from '../../src/host/host.js';
import type { CloudEventJson } from '../../src/components/index.js';
import { DefaultComponentHost } from '../../src/components/host.js';

const moment = process.env.SWIRL_TEST_BINDING_KILL;
const source = process.env.SWIRL_TEST_BINDING_KILL_SOURCE || 'swirl/bindings/';
const ingest = SwirlHost.prototype.ingest;
SwirlHost.prototype.ingest = async function (this: SwirlHost, events: CloudEventJson[], reaches?: (workflowId: string) => boolean) {
  const fromBinding = events.some((e) => typeof e.source === 'string' && e.source.startsWith(source));
  const die = (): Promise<never> => {
    process.stdout.write(`KILLING ${moment} ${events.map((e) => e.id).join(',')}\n`, () => process.kill(process.pid, 'SIGKILL'));
    // Never settles: the ack must not go out while the line is being written.
    return new Promise<never>(() => undefined);
  };
  if (fromBinding && moment === 'before-commit') return die();
  const outcome = await ingest.call(this, events, reaches);
  if (fromBinding && moment === 'after-commit') return die();
  return outcome;
};

const receive = DefaultComponentHost.prototype.receive;
DefaultComponentHost.prototype.receive = async function (this: DefaultComponentHost, ...args: Parameters<typeof receive>) {
  const message = await receive.apply(this, args);
  const die = (): Promise<never> => {
    process.stdout.write(`KILLING ${moment} ${message.event.id}\n`, () => process.kill(process.pid, 'SIGKILL'));
    return new Promise<never>(() => undefined);
  };
  if (moment === 'after-receive') return die();
  if (moment === 'at-ack') {
    // Dies as soon as the ack has reached the broker: whatever is not in the store by then is lost.
    return { ...message, ack: async () => {
      await message.ack();
      await new Promise((r) => setTimeout(r, 200));
      return die();
    } };
  }
  return message;
};

// The fault is patched into src/ modules, so this always runs the CLI from source (never the
// bundle that SWIRL_TEST_CLI=bundle selects, test/cli/cli-under-test.ts).
delete process.env.SWIRL_TEST_CLI;
await import('../cli/run-cli.js');
