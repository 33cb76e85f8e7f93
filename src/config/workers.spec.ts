import { availableParallelism } from 'node:os';
import { ConfigError } from './config.js';
import { loadWorkers } from './workers.js';

const DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/tessera';

describe('loadWorkers', () => {
  it('is one process, no cluster, when WORKERS is unset, empty or 1', () => {
    expect(loadWorkers({})).toBe(1);
    expect(loadWorkers({ WORKERS: ' ' })).toBe(1);
    expect(loadWorkers({ WORKERS: '1' })).toBe(1);
  });

  it('takes a count, or auto for one worker per available core, with DATABASE_URL', () => {
    expect(loadWorkers({ WORKERS: '4', DATABASE_URL })).toBe(4);
    expect(loadWorkers({ WORKERS: 'auto', DATABASE_URL })).toBe(availableParallelism());
  });

  it.each(['0', '-2', '1.5', 'two', '65'])('refuses WORKERS=%s with a message naming it', (raw) => {
    expect(() => loadWorkers({ WORKERS: raw, DATABASE_URL })).toThrow(ConfigError);
    expect(() => loadWorkers({ WORKERS: raw, DATABASE_URL })).toThrow(/^WORKERS must be an integer from 1 to 64, or auto/);
  });

  it('refuses more than one worker on the embedded database, which serves a single process', () => {
    expect(() => loadWorkers({ WORKERS: '2' })).toThrow(/^WORKERS must be 1 without DATABASE_URL/);
  });
});
