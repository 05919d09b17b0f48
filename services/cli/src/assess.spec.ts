import { corpusPath } from '@aperture/testing';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assessCommand, loadQualityPolicy, PolicyFileError, type AssessLine } from './assess';
import { PathError } from './files';

function capture() {
  let text = '';
  return { stream: { write: (chunk: string) => (text += chunk) }, text: () => text };
}

describe('aperture assess', () => {
  // A folder with a photo, a later copy of it under another name, and a truncated file.
  const dir = mkdtempSync(join(tmpdir(), 'assess-'));
  copyFileSync(corpusPath('cameras/jpg/gps/DSCN0010.jpg'), join(dir, 'a.jpg'));
  copyFileSync(corpusPath('cameras/jpg/gps/DSCN0010.jpg'), join(dir, 'b-copy.jpg'));
  copyFileSync(corpusPath('formats/truncated.jpg'), join(dir, 'c.jpg'));

  it('prints one JSON line per file, in path order, with one duplicate index for the run', async () => {
    const out = capture();
    const code = await assessCommand([dir], { json: true }, { stdout: out.stream, stderr: capture().stream });
    expect(code).toBe(0);
    const lines = out
      .text()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as AssessLine);
    expect(lines.map((l) => [l.file, l.verdict, l.reasons])).toEqual([
      [join(dir, 'a.jpg'), 'accepted', []],
      [join(dir, 'b-copy.jpg'), 'rejected', ['duplicate']],
      [join(dir, 'c.jpg'), 'rejected', ['corrupt']],
    ]);
    expect(lines[0]).toMatchObject({
      format: 'jpeg',
      width: 640,
      height: 480,
      phash: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    expect(lines[0]?.metrics).toMatchObject({ blurWidth: expect.any(Number), contrast: expect.any(Number) });
    expect(lines[1]).toMatchObject({ duplicateOf: join(dir, 'a.jpg'), distance: 0 });
  });

  it('prints a table and a summary without --json', async () => {
    const out = capture();
    await assessCommand(
      [join(dir, 'a.jpg'), join(dir, 'c.jpg')],
      {},
      { stdout: out.stream, stderr: capture().stream },
    );
    expect(out.text()).toMatch(/^FILE\s+VERDICT/);
    expect(out.text()).toContain('2 files: 1 accepted, 1 rejected (corrupt 1)');
  });

  it('applies a policy file, whole or just its quality section, and names bad settings', async () => {
    const section = join(dir, 'section.json');
    writeFileSync(section, JSON.stringify({ minWidth: 1000 }));
    expect((await loadQualityPolicy(section)).minWidth).toBe(1000);
    const whole = join(dir, 'whole.json');
    writeFileSync(whole, JSON.stringify({ quality: { maxBlurWidth: 2 } }));
    expect(await loadQualityPolicy(whole)).toMatchObject({ maxBlurWidth: 2, minWidth: 64 });

    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ maxBlurWidth: 200, sharpness: 1 }));
    await expect(loadQualityPolicy(bad)).rejects.toThrow(PolicyFileError);
    await expect(loadQualityPolicy(bad)).rejects.toThrow(
      /quality.maxBlurWidth: must be a number from 0.1 to 100/,
    );
    await expect(loadQualityPolicy(join(dir, 'missing.json'))).rejects.toThrow(/cannot read the policy/);
  });

  it('refuses a path that does not exist', async () => {
    await expect(
      assessCommand([join(dir, 'nope')], {}, { stdout: capture().stream, stderr: capture().stream }),
    ).rejects.toThrow(PathError);
  });
});
