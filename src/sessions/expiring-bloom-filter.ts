/**
 * A set that may answer "maybe" for a key it was never given, never "no" for one it was,
 * in about 2.5 bytes a key whatever the key's length, and that forgets keys once their
 * `until` has passed. The revocation view keeps what it has no room for here: a "maybe"
 * is settled by the database, a "no" needs nothing.
 *
 * Keys are grouped by the minute their `until` falls in; a minute's group is dropped as a
 * whole once it is over, so a key is kept at most a minute past its `until`. Each group is
 * a scalable Bloom filter (Almeida et al., 2007): filters of doubling capacity whose false
 * positive rates halve, so a group's rate stays under twice the first filter's however
 * many keys it gets, and memory grows with the keys, not ahead of them.
 */
export class ExpiringBloomFilter {
  private readonly groups = new Map<number, ScalableBloomFilter>();
  private count = 0;

  constructor(
    /** the first filter's false positive rate; a group's is under twice this */
    private readonly falsePositiveRate = 1e-4,
    private readonly groupMs = 60_000,
  ) {}

  /** Keys held: given and not yet forgotten. */
  get size(): number {
    return this.count;
  }

  /** Bits of memory the filters hold. */
  get bits(): number {
    let bits = 0;
    for (const group of this.groups.values()) bits += group.bits;
    return bits;
  }

  add(key: string, until: number): void {
    const slot = Math.ceil(until / this.groupMs);
    let group = this.groups.get(slot);
    if (!group) {
      group = new ScalableBloomFilter(this.falsePositiveRate);
      this.groups.set(slot, group);
    }
    group.add(hashPair(key));
    this.count++;
  }

  /** False: never given, or forgotten (its `until` has passed). True: maybe given. */
  mightContain(key: string, now: number): boolean {
    if (this.count === 0) return false;
    const hashes = hashPair(key);
    for (const [slot, group] of this.groups) {
      if (slot * this.groupMs > now && group.mightContain(hashes)) return true;
    }
    return false;
  }

  /** Drops the groups whose every key's `until` is before `now`. */
  forget(now: number): void {
    for (const [slot, group] of this.groups) {
      if (slot * this.groupMs <= now) {
        this.groups.delete(slot);
        this.count -= group.size;
      }
    }
  }
}

const FIRST_CAPACITY = 1024;
/** Bits a key for a false positive rate p: -ln p / ln²2 (with k = bits a key · ln 2 probes). */
const LN2_SQUARED = Math.LN2 * Math.LN2;

class ScalableBloomFilter {
  private readonly filters: BloomFilter[] = [];
  size = 0;

  constructor(private readonly falsePositiveRate: number) {}

  get bits(): number {
    return this.filters.reduce((sum, filter) => sum + filter.bits, 0);
  }

  add(hashes: HashPair): void {
    let last = this.filters.at(-1);
    if (!last || last.full) {
      const i = this.filters.length;
      last = new BloomFilter(FIRST_CAPACITY * 2 ** i, this.falsePositiveRate / 2 ** i);
      this.filters.push(last);
    }
    last.add(hashes);
    this.size++;
  }

  mightContain(hashes: HashPair): boolean {
    return this.filters.some((filter) => filter.mightContain(hashes));
  }
}

class BloomFilter {
  private readonly words: Uint32Array;
  private readonly k: number;
  private readonly m: number;
  private count = 0;

  constructor(
    private readonly capacity: number,
    falsePositiveRate: number,
  ) {
    const bits = Math.ceil((capacity * -Math.log(falsePositiveRate)) / LN2_SQUARED);
    this.words = new Uint32Array(Math.ceil(bits / 32));
    this.m = this.words.length * 32;
    this.k = Math.max(1, Math.round((this.m / capacity) * Math.LN2));
  }

  get bits(): number {
    return this.m;
  }

  get full(): boolean {
    return this.count >= this.capacity;
  }

  add([h1, h2]: HashPair): void {
    for (let i = 0; i < this.k; i++) {
      const bit = (h1 + i * h2) % this.m;
      this.words[bit >>> 5] |= 1 << (bit & 31);
    }
    this.count++;
  }

  mightContain([h1, h2]: HashPair): boolean {
    for (let i = 0; i < this.k; i++) {
      const bit = (h1 + i * h2) % this.m;
      if ((this.words[bit >>> 5] & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}

/** Two independent 32-bit hashes: the i-th probe is h1 + i·h2 (Kirsch and Mitzenmacher, 2006). */
type HashPair = readonly [number, number];

function hashPair(key: string): HashPair {
  // FNV-1a over UTF-16 code units, with two offset bases; h2 odd, so probes never repeat one bit.
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  return [mix(h1) >>> 0, (mix(h2) | 1) >>> 0];
}

/** murmur3's finalizer: every input bit reaches every output bit. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
