import { PooledRandom } from './random.js';

describe('PooledRandom', () => {
  it('hands out each byte of the CSPRNG once, across refills of its page', () => {
    const random = new PooledRandom();
    // 20 pages' worth in 12-, 16- and 32-byte draws: no two draws alike, none all zeros.
    const seen = new Set<string>();
    for (let i = 0; i < 4_000; i++) {
      const bytes = random.bytes([12, 16, 32][i % 3]);
      expect(bytes.length).toBe([12, 16, 32][i % 3]);
      expect(bytes.some((b) => b !== 0)).toBe(true);
      seen.add(bytes.toString('hex'));
    }
    expect(seen.size).toBe(4_000);
  });

  it('returns copies: what one caller does to its bytes reaches no other', () => {
    const random = new PooledRandom();
    const first = random.bytes(16);
    const second = random.bytes(16);
    const before = Buffer.from(second);
    first.fill(0xff);
    expect(second.equals(before)).toBe(true);
    expect(first.buffer === second.buffer && first.byteOffset + 16 > second.byteOffset && second.byteOffset + 16 > first.byteOffset).toBe(false);
  });

  it('serves a large request on its own', () => {
    const random = new PooledRandom();
    expect(random.bytes(10_000).length).toBe(10_000);
    expect(random.bytes(0).length).toBe(0);
  });
});
