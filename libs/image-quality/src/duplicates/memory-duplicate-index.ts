import {
  bestMatch,
  matchOf,
  standing,
  verdictOf,
  type DuplicateEntry,
  type DuplicateIndex,
  type DuplicateMatch,
  type RecordedVerdict,
  type Resemblance,
} from './duplicate-index';
import {
  assertFingerprint,
  directedDistance,
  probeHashesOf,
  storedHashesOf,
  type Fingerprint,
  type StoredHashes,
} from './fingerprint';
import { BandPostings } from './band-postings';
import { HashKind } from './index-bands';

const INITIAL_CAPACITY = 1024;

/** What the index keeps of an entry: its fingerprint's stored hashes, not its lookup probes. */
export type StoredEntry = Omit<DuplicateEntry, 'fingerprint'> & {
  fingerprint: Pick<Fingerprint, 'whole' | 'regions'>;
};

/**
 * A duplicate index in this process's memory (the CLI, tests, the benchmark): one project's
 * images, checked one at a time in call order.
 *
 * Fingerprint lookup is multi-index hashing (BandPostings): every stored hash is posted under
 * its four band keys; a lookup reads only the postings of its probes' band keys (~160 keys),
 * keeps the hashes within maxDistance, and computes the full fingerprint distance only for their
 * images. Nothing is scanned.
 *
 * Memory: 60-80 bytes per stored hash (about 9 per image) in typed arrays, growth slack included,
 * and each image's id, order and pixel hash as strings: ~1 GB at a million images (measured).
 */
export class MemoryDuplicateIndex implements DuplicateIndex {
  // Images, by position of insertion.
  private imageCount = 0;
  private readonly imageIds: string[] = [];
  private readonly orders: string[] = [];
  private readonly verdicts: RecordedVerdict[] = [];
  private firstHashOf = new Int32Array(INITIAL_CAPACITY);
  private hashCountOf = new Uint8Array(INITIAL_CAPACITY);
  private hasWhole = new Uint8Array(INITIAL_CAPACITY);
  private readonly positionOfImage = new Map<string, number>();
  private readonly positionsOfPixelHash = new Map<string, number[]>();

  // Stored hashes, numbered in order: [high, low] pairs, their image, and their kind.
  private hashCount = 0;
  private halves = new Uint32Array(INITIAL_CAPACITY * 2);
  private ownerOf = new Int32Array(INITIAL_CAPACITY);
  private kindOf = new Uint8Array(INITIAL_CAPACITY);
  private readonly postings = new BandPostings({
    high: (hash) => this.halves[hash * 2]!,
    low: (hash) => this.halves[hash * 2 + 1]!,
    kind: (hash) => this.kindOf[hash] as HashKind,
  });

  // Marks the images already gathered by the current lookup.
  private visitStamp = new Int32Array(INITIAL_CAPACITY);
  private currentStamp = 0;

  /** Images indexed. */
  get size(): number {
    return this.imageCount;
  }

  checkAndAdd(entry: DuplicateEntry, maxDistance: number): Promise<DuplicateMatch | undefined> {
    return Promise.resolve(this.checkAndAddNow(entry, maxDistance));
  }

  find(entry: DuplicateEntry, maxDistance: number): Promise<DuplicateMatch | undefined> {
    const known = this.positionOfImage.get(entry.imageId);
    return Promise.resolve(
      known === undefined ? this.lookup(entry, maxDistance) : matchOf(this.verdicts[known]!),
    );
  }

  /**
   * Indexes an image already checked elsewhere, with its recorded verdict, without searching:
   * rebuilding an index from stored records, or filling one for a benchmark.
   */
  restore(entry: StoredEntry, verdict: RecordedVerdict = { kind: 'unique' }): void {
    if (!this.positionOfImage.has(entry.imageId)) this.add(entry, verdict);
  }

  /** checkAndAdd without the promise, for callers that measure it (the benchmark). */
  checkAndAddNow(entry: DuplicateEntry, maxDistance: number): DuplicateMatch | undefined {
    const known = this.positionOfImage.get(entry.imageId);
    if (known !== undefined) return matchOf(this.verdicts[known]!);
    const match = this.lookup(entry, maxDistance);
    this.add(entry, verdictOf(match));
    return match;
  }

  private lookup(entry: DuplicateEntry, maxDistance: number): DuplicateMatch | undefined {
    assertFingerprint(entry.fingerprint);
    const resemblances: Resemblance[] = [];
    for (const position of this.positionsOfPixelHash.get(entry.pixelHash) ?? []) {
      resemblances.push(this.resemblance(position, true, 0));
    }

    // The images owning a stored hash within maxDistance of any probe, each once.
    const stamp = this.nextStamp();
    const gathered: number[] = [];
    const gatherOwner = (hash: number): void => {
      const owner = this.ownerOf[hash]!;
      if (this.visitStamp[owner] === stamp) return;
      this.visitStamp[owner] = stamp;
      gathered.push(owner);
    };
    const gather = (kind: HashKind, pairs: Uint32Array): void => {
      for (let i = 0; i < pairs.length; i += 2) {
        this.postings.forEachNear(kind, pairs[i]!, pairs[i + 1]!, maxDistance, gatherOwner);
      }
    };
    const probes = probeHashesOf(entry.fingerprint);
    gather(HashKind.Whole, probes.whole);
    for (const atScale of probes.regions) for (const region of atScale) gather(HashKind.Region, region);

    for (const position of gathered) {
      if (this.imageIds[position] === entry.imageId) continue;
      const distance = directedDistance(probes, this.storedHashes(position), maxDistance);
      if (distance <= maxDistance) resemblances.push(this.resemblance(position, false, distance));
    }
    // Checked one at a time, every indexed image has its verdict: none is ever undecided here.
    return bestMatch(resemblances.filter((resemblance) => standing(resemblance, entry) === 'counts'));
  }

  private resemblance(position: number, identical: boolean, distance: number): Resemblance {
    return {
      imageId: this.imageIds[position]!,
      order: this.orders[position]!,
      verdict: this.verdicts[position],
      identical,
      distance,
    };
  }

  private storedHashes(position: number): StoredHashes {
    const first = this.firstHashOf[position]!;
    const count = this.hashCountOf[position]!;
    const whole = this.hasWhole[position] === 1;
    return {
      halves: this.halves.subarray(first * 2, (first + count) * 2),
      wholeAt: whole ? 0 : -1,
      regionsAt: whole ? 1 : 0,
      regionCount: whole ? count - 1 : count,
    };
  }

  private add(entry: StoredEntry, verdict: RecordedVerdict): void {
    const position = this.imageCount++;
    this.ensureImageCapacity(this.imageCount);
    this.imageIds.push(entry.imageId);
    this.orders.push(entry.order);
    this.verdicts.push(verdict);
    this.positionOfImage.set(entry.imageId, position);
    const samePixels = this.positionsOfPixelHash.get(entry.pixelHash);
    if (samePixels) samePixels.push(position);
    else this.positionsOfPixelHash.set(entry.pixelHash, [position]);

    const stored = storedHashesOf(entry.fingerprint);
    const count = stored.halves.length / 2;
    this.firstHashOf[position] = this.hashCount;
    this.hashCountOf[position] = count;
    this.hasWhole[position] = stored.wholeAt >= 0 ? 1 : 0;
    this.ensureHashCapacity(this.hashCount + count);
    for (let i = 0; i < count; i++) {
      const kind = i === stored.wholeAt ? HashKind.Whole : HashKind.Region;
      const hash = this.hashCount++;
      this.halves[hash * 2] = stored.halves[i * 2]!;
      this.halves[hash * 2 + 1] = stored.halves[i * 2 + 1]!;
      this.ownerOf[hash] = position;
      this.kindOf[hash] = kind;
      this.postings.add(kind, this.halves[hash * 2]!, this.halves[hash * 2 + 1]!);
    }
  }

  private nextStamp(): number {
    this.currentStamp += 1;
    if (this.currentStamp === 0x7fffffff) {
      this.visitStamp.fill(0);
      this.currentStamp = 1;
    }
    return this.currentStamp;
  }

  private ensureImageCapacity(needed: number): void {
    if (needed <= this.firstHashOf.length) return;
    const capacity = grownCapacity(this.firstHashOf.length, needed);
    this.firstHashOf = resized(this.firstHashOf, capacity);
    this.hashCountOf = resized(this.hashCountOf, capacity);
    this.hasWhole = resized(this.hasWhole, capacity);
    this.visitStamp = resized(this.visitStamp, capacity);
  }

  private ensureHashCapacity(needed: number): void {
    if (needed <= this.ownerOf.length) return;
    const capacity = grownCapacity(this.ownerOf.length, needed);
    this.halves = resized(this.halves, capacity * 2);
    this.ownerOf = resized(this.ownerOf, capacity);
    this.kindOf = resized(this.kindOf, capacity);
  }
}

function grownCapacity(current: number, needed: number): number {
  let capacity = current;
  while (capacity < needed) capacity *= 2;
  return capacity;
}

function resized<T extends Int32Array | Uint32Array | Uint8Array>(array: T, length: number): T {
  const copy = new (array.constructor as new (length: number) => T)(length);
  copy.set(array);
  return copy;
}
