import { RevocationEventStore } from '../../src/sessions/revocation-event.js';
import type { TestApp } from './app.js';

/** Counts a process's reads of the revocation feed, by wrapping its store's own method. */
export function countFeedReads(t: TestApp): { count: number } {
  const reads = { count: 0 };
  const store = t.app.get(RevocationEventStore);
  const read = store.read.bind(store);
  store.read = (...args) => {
    reads.count++;
    return read(...args);
  };
  return reads;
}
