/**
 * @module bench/peers/restate-service
 * The Restate handler endpoint, in its own process: service `chain`, handler `run(x)` doing three
 * `ctx.run` no-op steps (x + 1 each), on 127.0.0.1:<port> (argv[2]). Prints `ready` once listening.
 * Node 20 lacks Promise.withResolvers, which the SDK 1.17 uses: the polyfill is installed first.
 */

const promiseWithResolvers = Promise as unknown as { withResolvers?: () => unknown };
if (!promiseWithResolvers.withResolvers) {
  promiseWithResolvers.withResolvers = function <T>(this: PromiseConstructor) {
    let resolve!: (v: T) => void;
    let reject!: (e: unknown) => void;
    const promise = new this<T>((a, b) => {
      resolve = a;
      reject = b;
    });
    return { promise, resolve, reject };
  };
}

const restate = await import('@restatedev/restate-sdk');
const port = Number(process.argv[2] ?? 9080);
const chain = restate.service({
  name: 'chain',
  handlers: {
    run: async (ctx: import('@restatedev/restate-sdk').Context, x: number): Promise<number> => {
      let v = x;
      for (let i = 0; i < 3; i++) {
        const c = v;
        v = await ctx.run(`s${i}`, async () => c + 1);
      }
      return v;
    },
  },
});
await restate.serve({ services: [chain], port });
console.log('ready');
