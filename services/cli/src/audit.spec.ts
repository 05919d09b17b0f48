import { type ChainedEntry, chainEntry, GENESIS_HASH } from '@aperture/audit';
import { auditVerifyCommand } from './audit';
import type { CliIo } from './commands';

function chain(length: number): ChainedEntry[] {
  const entries: ChainedEntry[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= length; seq += 1) {
    const entry = chainEntry(
      {
        tenantId: 't1',
        seq,
        at: new Date(Date.UTC(2026, 10, 24, 0, 0, seq)).toISOString(),
        stage: 'compliance',
        rule: 'region default: people redact',
        outcome: 'cleared',
        actor: 'service:compliance',
        imageId: `img_${seq}`,
        subjectId: '',
        inputs: [{ name: 'raw', sha256: 'cd'.repeat(32) }],
        detail: `entry ${seq}`,
      },
      prev,
    );
    entries.push(entry);
    prev = entry.hash;
  }
  return entries;
}

/** The compliance API's /v1/audit over a given chain, pages of `pageSize` by seq. */
function fakeAuditApi(entries: ChainedEntry[], head: { seq: number; hash: string }): typeof fetch {
  return (async (input: string | URL, init?: RequestInit) => {
    const url = new URL(input);
    expect(url.pathname).toBe('/v1/audit');
    expect((init?.headers as Record<string, string>)['x-api-key']).toBe('ak_test_key');
    const size = Number(url.searchParams.get('pageSize'));
    const after = Number(url.searchParams.get('pageToken') ?? 0);
    const rest = entries.filter((entry) => entry.seq > after);
    const page = rest.slice(0, size);
    const body = { entries: page, nextPageToken: rest.length > size ? String(page.at(-1)!.seq) : '', head };
    return new Response(JSON.stringify(body), {
      status: 200,
      headers: { 'content-type': 'application/json' },
    });
  }) as typeof fetch;
}

function io(fetchFn: typeof fetch) {
  let out = '';
  let err = '';
  const cli: CliIo = {
    stdout: { write: (text: string) => ((out += text), true) },
    stderr: { write: (text: string) => ((err += text), true) },
    env: { APERTURE_API_KEY: 'ak_test_key', APERTURE_COMPLIANCE_URL: 'http://compliance.test' },
    fetch: fetchFn,
    retryBaseDelayMs: 1,
  };
  return { cli, out: () => out, err: () => err };
}

describe('aperture audit verify', () => {
  it('walks every page and reports an intact chain with its head', async () => {
    const entries = chain(7);
    const head = { seq: 7, hash: entries[6]!.hash };
    const run = io(fakeAuditApi(entries, head));
    expect(await auditVerifyCommand({ pageSize: 3 }, run.cli)).toBe(0);
    expect(run.out()).toBe(`audit chain intact: 7 entries, head seq 7 hash ${head.hash}\n`);
  });

  it('exits 3 and names the entry when one was altered', async () => {
    const entries = chain(7);
    const head = { seq: 7, hash: entries[6]!.hash };
    entries[2] = { ...entries[2]!, detail: 'rewritten' };
    const run = io(fakeAuditApi(entries, head));
    expect(await auditVerifyCommand({ pageSize: 3, json: true }, run.cli)).toBe(3);
    expect(JSON.parse(run.out())).toMatchObject({
      entries: 7,
      problems: [{ seq: 3, problem: 'content does not match its hash (altered)' }],
    });
  });

  it('exits 3 when the last entries were removed', async () => {
    const entries = chain(7);
    const run = io(fakeAuditApi(entries.slice(0, 5), { seq: 7, hash: entries[6]!.hash }));
    expect(await auditVerifyCommand({ pageSize: 3 }, run.cli)).toBe(3);
    expect(run.out()).toContain('seq 7: entries 6..7 are missing at the end');
  });

  it('exits 1 with a clear message without an API key', async () => {
    const run = io(fakeAuditApi([], { seq: 0, hash: GENESIS_HASH }));
    run.cli.env = {};
    expect(await auditVerifyCommand({}, run.cli)).toBe(1);
    expect(run.err()).toContain('no API key');
  });
});
