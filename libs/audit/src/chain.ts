import { createHash } from 'node:crypto';

/** The hash before a tenant's first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** A named input of a decision and its SHA-256 (for example the derivative that was judged). */
export interface AuditInput {
  name: string;
  sha256: string;
}

/** What an audit entry says: one decision, by whom, on what, under which rule. */
export interface AuditFacts {
  tenantId: string;
  /** Position in the tenant's chain, from 1, without gaps. */
  seq: number;
  /** RFC 3339. */
  at: string;
  /** The stage or component that decided: "compliance", "consent", "erasure", "retention". */
  stage: string;
  /** The rule applied, for example "region EU: faces allow (consent) → redact". */
  rule: string;
  /** The decision, for example "cleared", "rejected:faces_not_allowed", "erased". */
  outcome: string;
  /** Who decided: a service ("service:compliance") or a caller ("api-key", "grpc"). */
  actor: string;
  /** The image decided on; empty for an entry about no image (a consent). */
  imageId: string;
  /** Another subject of the entry: a consent id, an erasure id; empty when none. */
  subjectId: string;
  inputs: AuditInput[];
  detail: string;
}

export interface ChainedEntry extends AuditFacts {
  prevHash: string;
  hash: string;
}

/**
 * The entry's hash: SHA-256 over its facts in a fixed order and the previous entry's hash, so
 * changing any field of any entry, or removing or reordering entries, breaks every later link.
 */
export function entryHash(facts: AuditFacts, prevHash: string): string {
  const canonical = JSON.stringify([
    facts.tenantId,
    facts.seq,
    facts.at,
    facts.stage,
    facts.rule,
    facts.outcome,
    facts.actor,
    facts.imageId,
    facts.subjectId,
    facts.inputs.map((input) => [input.name, input.sha256]),
    facts.detail,
    prevHash,
  ]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

export function chainEntry(facts: AuditFacts, prevHash: string): ChainedEntry {
  return { ...facts, prevHash, hash: entryHash(facts, prevHash) };
}

export interface ChainProblem {
  seq: number;
  problem: string;
}

/**
 * Checks a tenant's chain from its first entry, in order: every entry's hash recomputed, every link
 * to the previous hash, sequence numbers without gaps, and the last entry against the head the
 * store recorded (a removed last entry leaves the head ahead of the chain). Returns every problem.
 */
export class ChainVerifier {
  private expectedSeq = 1;
  private prevHash = GENESIS_HASH;
  readonly problems: ChainProblem[] = [];
  checked = 0;

  constructor(private readonly tenantId: string) {}

  /** Feeds the next page of entries (ascending seq). */
  add(entries: readonly ChainedEntry[]): void {
    for (const entry of entries) {
      this.checked += 1;
      if (entry.tenantId !== this.tenantId)
        this.problems.push({ seq: entry.seq, problem: `belongs to tenant ${entry.tenantId}` });
      if (entry.seq !== this.expectedSeq)
        this.problems.push({
          seq: entry.seq,
          problem:
            entry.seq > this.expectedSeq
              ? `entries ${this.expectedSeq}..${entry.seq - 1} are missing`
              : `out of order (expected ${this.expectedSeq})`,
        });
      if (entry.prevHash !== this.prevHash)
        this.problems.push({ seq: entry.seq, problem: 'does not link to the previous entry' });
      if (entryHash(entry, entry.prevHash) !== entry.hash)
        this.problems.push({ seq: entry.seq, problem: 'content does not match its hash (altered)' });
      this.expectedSeq = entry.seq + 1;
      this.prevHash = entry.hash;
    }
  }

  /** Ends the walk against the head (last seq and hash) the store keeps for the tenant. */
  finish(head: { seq: number; hash: string } | null): ChainProblem[] {
    const lastSeq = this.expectedSeq - 1;
    if (head && head.seq > lastSeq)
      this.problems.push({
        seq: head.seq,
        problem: `entries ${lastSeq + 1}..${head.seq} are missing at the end`,
      });
    else if (head && head.seq === lastSeq && head.hash !== this.prevHash)
      this.problems.push({ seq: head.seq, problem: 'last entry does not match the recorded head' });
    return this.problems;
  }
}
