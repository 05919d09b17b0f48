import { defaultPolicy } from '@aperture/policy';
import { corpusFiles, corpusPath } from '@aperture/testing';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { assessImage } from './assess';
import { MemoryDuplicateIndex } from './duplicates';

// Every file of the shared corpus, judged in path order with the default policy and one duplicate
// index, against the checked-in table corpus-expectations.tsv (path, verdict, reasons,
// duplicate of). A file added to the corpus fails this test until the table says what it is.
const TABLE = join(__dirname, '..', 'corpus-expectations.tsv');

interface Expectation {
  verdict: string;
  reasons: string;
  duplicateOf: string;
}

function readTable(): Map<string, Expectation> {
  const rows = new Map<string, Expectation>();
  for (const line of readFileSync(TABLE, 'utf8').split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const [path, verdict, reasons, duplicateOf] = line.split('\t');
    rows.set(path!, { verdict: verdict!, reasons: reasons!, duplicateOf: duplicateOf! });
  }
  return rows;
}

describe('the corpus expectations table', () => {
  const root = corpusPath('.');
  const files = corpusFiles(root)
    .map((path) => relative(root, path))
    .sort();
  const table = readTable();

  it('covers every file of the corpus, and only those', () => {
    expect(files.filter((file) => !table.has(file))).toEqual([]);
    expect([...table.keys()].filter((file) => !files.includes(file))).toEqual([]);
  });

  it('matches what the quality assessment says about each file', async () => {
    const index = new MemoryDuplicateIndex();
    const mismatches: string[] = [];
    for (const [position, file] of files.entries()) {
      const bytes = readFileSync(join(root, file));
      const assessment = await assessImage(bytes, defaultPolicy.quality, {
        index,
        imageId: file,
        order: String(position).padStart(6, '0'),
        loadImage: async (earlier) => readFileSync(join(root, earlier)),
      });
      const actual: Expectation = {
        verdict: assessment.accepted ? 'accepted' : 'rejected',
        reasons: assessment.reasons.map((r) => r.code).join(',') || '-',
        duplicateOf: assessment.result?.duplicateOf || '-',
      };
      const expected = table.get(file);
      if (JSON.stringify(actual) !== JSON.stringify(expected)) {
        mismatches.push(`${file}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
      }
    }
    expect(mismatches).toEqual([]);
  }, 180_000);
});
