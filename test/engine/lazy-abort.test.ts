/**
 * @module test/engine/lazy-abort
 * The activity run's abort switch: its signal, made on first use, behaves like an AbortController's
 * whether it is asked for before or after the abort.
 */

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { LazyAbort } from '../../src/engine/lazy-abort.js';

describe('LazyAbort', () => {
  it('a signal taken before the abort fires its listeners with the first reason', () => {
    const a = new LazyAbort();
    const signal = a.signal;
    let heard: unknown;
    signal.addEventListener('abort', () => (heard = signal.reason));
    assert.equal(a.aborted, false);
    a.abort('first');
    a.abort('second');
    assert.equal(a.aborted, true);
    assert.equal(signal.aborted, true);
    assert.equal(heard, 'first');
    assert.equal(a.signal, signal);
  });

  it('a signal taken after the abort is already aborted, with the reason', () => {
    const a = new LazyAbort();
    const reason = new Error('the engine is stopping');
    a.abort(reason);
    assert.equal(a.signal.aborted, true);
    assert.equal(a.signal.reason, reason);
    assert.throws(() => a.signal.throwIfAborted(), reason);
  });
});
