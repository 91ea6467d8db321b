/**
 * @module test/store/memory.test
 * Runs the store contract suite on the in-memory reference backend.
 */

import { MemoryStore } from '../../src/store/memory.js';
import { storeContract } from './contract.js';

storeContract('memory', {
  async create() {
    return new MemoryStore();
  },
});
