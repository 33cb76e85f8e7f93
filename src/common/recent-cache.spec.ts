import { FakeClock } from '../../test/setup/clock.js';
import { RecentCache } from './recent-cache.js';

describe('RecentCache', () => {
  it('answers from memory while the record is at most maxAgeMs old, then loads again', async () => {
    const clock = new FakeClock();
    const cache = new RecentCache<string, number>(10, 5_000, clock);
    let loads = 0;
    const load = async () => ++loads;
    expect(await cache.get('a', load)).toBe(1);
    clock.advance(5);
    expect(await cache.get('a', load)).toBe(1);
    clock.advance(1);
    expect(await cache.get('a', load)).toBe(2);
    cache.delete('a');
    expect(await cache.get('a', load)).toBe(3);
  });

  it('never keeps an undefined answer, and keeps false', async () => {
    const clock = new FakeClock();
    const cache = new RecentCache<string, boolean>(10, 5_000, clock);
    let loads = 0;
    expect(await cache.get('missing', async () => (loads++, undefined))).toBeUndefined();
    expect(await cache.get('missing', async () => (loads++, undefined))).toBeUndefined();
    expect(await cache.get('refused', async () => (loads++, false))).toBe(false);
    expect(await cache.get('refused', async () => (loads++, true))).toBe(false);
    expect(loads).toBe(3);
  });

  it('does not trust a record when the clock stepped back', async () => {
    const clock = new FakeClock();
    const cache = new RecentCache<string, number>(10, 5_000, clock);
    await cache.get('a', async () => 1);
    clock.advance(-1);
    expect(await cache.get('a', async () => 2)).toBe(2);
  });
});
