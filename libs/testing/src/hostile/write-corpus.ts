import { mkdirSync, writeFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { hostileCases } from './cases';

/**
 * Writes every hostile case into `dir` as `<name><extension of the name the client sends>`, with
 * `manifest.tsv` (file, bytes, the Content-Type sent, ingest's answer, the quality verdict, what it
 * is). Returns the manifest's rows. Run by `scripts/hostile-corpus [DIR]`.
 */
export function writeHostileCorpus(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const rows = ['# file\tbytes\tcontent-type sent\tingest\tquality\tdescription'];
  for (const hostile of hostileCases()) {
    const file = `${hostile.name}${extname(hostile.filename)}`;
    const bytes = hostile.make();
    writeFileSync(join(dir, file), bytes);
    const ingest = hostile.ingest.status === 201 ? '201' : `${hostile.ingest.status} ${hostile.ingest.code}`;
    rows.push(
      [file, bytes.length, hostile.contentType, ingest, hostile.quality, hostile.description].join('\t'),
    );
  }
  writeFileSync(join(dir, 'manifest.tsv'), `${rows.join('\n')}\n`);
  return rows;
}

if (require.main === module) {
  const dir = resolve(process.argv[2] ?? '.aperture/hostile-corpus');
  const rows = writeHostileCorpus(dir);
  process.stdout.write(`${rows.length - 1} hostile files written to ${dir} (see manifest.tsv)\n`);
}
