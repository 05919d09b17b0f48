import { existsSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';

/**
 * A file of the shared test corpus, read in place (never copied into the repo). The corpus is
 * `../shared/corpus` beside the checkout (as on developer machines and in CI); APERTURE_CORPUS_DIR
 * overrides it.
 */
export function corpusPath(...segments: string[]): string {
  const candidates = [
    process.env['APERTURE_CORPUS_DIR'],
    path.resolve(__dirname, '../../../../shared/corpus'),
    '/work/shared/corpus',
  ].filter((candidate): candidate is string => Boolean(candidate));
  const root = candidates.find((candidate) => existsSync(candidate));
  if (!root)
    throw new Error(`test corpus not found (looked in ${candidates.join(', ')}); set APERTURE_CORPUS_DIR`);
  return path.join(root, ...segments);
}

/**
 * Every file below a folder of the corpus (or any folder given as an absolute path), recursively,
 * sorted by path: the order tests and benchmarks walk the corpus in.
 */
export function corpusFiles(...segments: string[]): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((name) => {
      const file = path.join(dir, name);
      return statSync(file).isDirectory() ? walk(file) : [file];
    });
  const start =
    segments.length === 1 && path.isAbsolute(segments[0]!) ? segments[0]! : corpusPath(...segments);
  return walk(start).sort();
}

/**
 * A file of the shared evaluation set (real photos with labelled faces and plates, `../shared/eval`
 * beside the checkout; APERTURE_EVAL_DIR overrides it), read in place, or undefined where the set
 * is absent: tests that need it skip.
 */
export function evalPath(...segments: string[]): string | undefined {
  const root = [
    process.env['APERTURE_EVAL_DIR'],
    path.resolve(__dirname, '../../../../shared/eval'),
    '/work/shared/eval',
  ].find((candidate): candidate is string => Boolean(candidate) && existsSync(candidate!));
  return root && path.join(root, ...segments);
}
