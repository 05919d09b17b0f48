import { type AuditFacts, ChainVerifier, type ChainedEntry, chainEntry, GENESIS_HASH } from './chain';

function chain(length: number): ChainedEntry[] {
  const entries: ChainedEntry[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= length; seq += 1) {
    const facts: AuditFacts = {
      tenantId: 't1',
      seq,
      at: new Date(Date.UTC(2026, 10, 24, 0, 0, seq)).toISOString(),
      stage: 'compliance',
      rule: 'region default: faces redact',
      outcome: seq % 2 ? 'cleared' : 'rejected:faces_not_allowed',
      actor: 'service:compliance',
      imageId: `img_${seq}`,
      subjectId: '',
      inputs: [{ name: 'derivative', sha256: 'ab'.repeat(32) }],
      detail: `decision ${seq}`,
    };
    const entry = chainEntry(facts, prev);
    entries.push(entry);
    prev = entry.hash;
  }
  return entries;
}

const verify = (entries: ChainedEntry[], head: { seq: number; hash: string } | null, pageSize = 3) => {
  const verifier = new ChainVerifier('t1');
  for (let i = 0; i < entries.length; i += pageSize) verifier.add(entries.slice(i, i + pageSize));
  return verifier.finish(head);
};
const headOf = (entries: ChainedEntry[]) => ({ seq: entries.at(-1)!.seq, hash: entries.at(-1)!.hash });

describe('audit chain', () => {
  it('verifies an untouched chain, page by page', () => {
    const entries = chain(10);
    expect(verify(entries, headOf(entries))).toEqual([]);
    expect(verify([], null)).toEqual([]);
  });

  it('detects an altered entry', () => {
    const entries = chain(10);
    entries[4] = { ...entries[4]!, outcome: 'cleared', detail: 'nothing to see' };
    expect(verify(entries, headOf(entries))).toEqual([
      { seq: 5, problem: 'content does not match its hash (altered)' },
    ]);
  });

  it('detects an altered entry whose hash was recomputed: the next link breaks', () => {
    const entries = chain(10);
    const { hash: _hash, prevHash, ...facts } = entries[4]!;
    entries[4] = chainEntry({ ...facts, detail: 'rewritten' }, prevHash);
    expect(verify(entries, headOf(entries))).toEqual([
      { seq: 6, problem: 'does not link to the previous entry' },
    ]);
  });

  it('detects a removed entry in the middle and at the end', () => {
    const entries = chain(10);
    const head = headOf(entries);
    expect(verify([...entries.slice(0, 3), ...entries.slice(4)], head)).toEqual([
      { seq: 5, problem: 'entries 4..4 are missing' },
      { seq: 5, problem: 'does not link to the previous entry' },
    ]);
    expect(verify(entries.slice(0, 9), head)).toEqual([
      { seq: 10, problem: 'entries 10..10 are missing at the end' },
    ]);
  });

  it('detects an entry of another tenant spliced in', () => {
    const entries = chain(3);
    entries[1] = { ...entries[1]!, tenantId: 't2' };
    expect(verify(entries, headOf(entries)).map((problem) => problem.problem)).toEqual([
      'belongs to tenant t2',
      'content does not match its hash (altered)',
    ]);
  });
});
