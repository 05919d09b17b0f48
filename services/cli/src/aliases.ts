// `npx aperture` runs the compiled dist/services/cli/src/main.js with plain Node, which cannot
// resolve the @aperture/* path aliases of the libs the local commands use (assess, standardize).
// Imported first by main.ts: finds the repository's alias hook above the compiled file and loads it.
import { existsSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';

if (__dirname.includes(`${sep}dist${sep}`)) {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const hook = join(dir, 'scripts', 'lib', 'register-aliases.cjs');
    if (existsSync(hook)) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a path found at run time
      require(hook);
      break;
    }
  }
}
