// A scalable Bloom filter of strings (Almeida et al. 2007): a list of fixed-size filters, each
// twice the capacity of the one before, the newest taking the inserts; a key may be in the set if
// any filter says so. 24 bits per key, so a million ids
// cost ~3 MB. Hand-written (40 lines) rather than a dependency: the indexer needs add and
// mightContain on strings only.

const BITS_PER_KEY = 24; // ≈ 0.002 % false positives with K = 10: a false positive costs a
// query and a re-run of its block, so memory is the cheaper side (3 MB per million ids)
const K = 10;

class Filter {
  readonly bits: Uint32Array;
  readonly capacity: number;
  count = 0;
  constructor(capacity: number) {
    this.capacity = capacity;
    this.bits = new Uint32Array(Math.ceil((capacity * BITS_PER_KEY) / 32));
  }
}

/** Two independent 32-bit hashes of `s` (FNV-1a and a multiplicative variant), for double hashing. */
function hashes(s: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return [a >>> 0, (b | 1) >>> 0];
}

export class ScalableBloom {
  private readonly filters: Filter[] = [];

  constructor(initialCapacity = 1024) {
    this.filters.push(new Filter(Math.max(1024, initialCapacity)));
  }

  add(key: string): void {
    let f = this.filters[this.filters.length - 1];
    if (f.count >= f.capacity) this.filters.push((f = new Filter(f.capacity * 2)));
    const [h1, h2] = hashes(key);
    const m = f.bits.length * 32;
    for (let i = 0; i < K; i++) {
      const bit = (h1 + i * h2) % m;
      f.bits[bit >>> 5] |= 1 << (bit & 31);
    }
    f.count++;
  }

  mightContain(key: string): boolean {
    const [h1, h2] = hashes(key);
    outer: for (const f of this.filters) {
      const m = f.bits.length * 32;
      for (let i = 0; i < K; i++) {
        const bit = (h1 + i * h2) % m;
        if ((f.bits[bit >>> 5] & (1 << (bit & 31))) === 0) continue outer;
      }
      return true;
    }
    return false;
  }
}
