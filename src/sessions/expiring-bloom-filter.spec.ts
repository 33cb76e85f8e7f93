import { ExpiringBloomFilter } from './expiring-bloom-filter.js';

const MINUTE = 60_000;
const NOW = Date.UTC(2026, 0, 1);

/** Distinct keys shaped like what the view holds (family ids, jtis), the same on every run. */
function keys(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}:${i.toString(16).padStart(8, '0')}-4e1f-8a2b-${(i * 2654435761 >>> 0).toString(16).padStart(12, '0')}`);
}

describe('ExpiringBloomFilter', () => {
  it('answers every key it was given, past many growths, until its minute is over', () => {
    const filter = new ExpiringBloomFilter();
    const given = keys('f', 50_000);
    for (const key of given) filter.add(key, NOW + 10 * MINUTE);
    expect(filter.size).toBe(50_000);
    expect(given.filter((key) => !filter.mightContain(key, NOW))).toEqual([]);
    expect(given.filter((key) => !filter.mightContain(key, NOW + 10 * MINUTE - 1))).toEqual([]);
  });

  it('says maybe for keys it was never given at about its rate, and takes far less memory than the keys', () => {
    const filter = new ExpiringBloomFilter(1e-4);
    for (const key of keys('f', 100_000)) filter.add(key, NOW + 10 * MINUTE);
    const strangers = keys('g', 100_000).filter((key) => filter.mightContain(key, NOW)).length;
    // A scalable filter stays under twice its first rate: 20 in 100,000 expected at most.
    expect(strangers).toBeLessThan(60);
    // About 2.5 bytes a key, where a Map entry of a uuid string takes some 150.
    expect(filter.bits / 8 / 100_000).toBeLessThan(6);
  });

  it('forgets a minute\'s keys once their until has passed, and only those', () => {
    const filter = new ExpiringBloomFilter();
    const soon = keys('soon', 100);
    const later = keys('later', 100);
    for (const key of soon) filter.add(key, NOW + MINUTE);
    for (const key of later) filter.add(key, NOW + 5 * MINUTE);
    // Past its minute, a key is no longer answered even before forget() runs.
    expect(soon.filter((key) => filter.mightContain(key, NOW + 2 * MINUTE))).toEqual([]);
    filter.forget(NOW + 2 * MINUTE);
    expect(filter.size).toBe(100);
    expect(later.every((key) => filter.mightContain(key, NOW + 2 * MINUTE))).toBe(true);
    filter.forget(NOW + 6 * MINUTE);
    expect(filter.size).toBe(0);
    expect(filter.bits).toBe(0);
    expect(filter.mightContain(later[0], NOW)).toBe(false);
  });
});
