import type { NestExpressApplication } from '@nestjs/platform-express';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Where the built console is: CONSOLE_DIR, else dist/services/console-web beside this compiled
 * service (dist/services/ingest/src/console → dist/services/console-web), in a checkout or an image.
 */
export function consoleDirectory(configured: string): string | undefined {
  const candidates = configured ? [configured] : [path.resolve(__dirname, '../../../console-web')];
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'index.html')));
}

/**
 * Serves the console's files at /console/ from the same origin as the API (no CORS, and the
 * session cookie can be SameSite=Strict). Vite names its assets by content hash, so they are
 * cached for good; index.html is revalidated so a new build is picked up.
 */
export function serveConsole(app: NestExpressApplication, dir: string): void {
  app.useStaticAssets(dir, {
    prefix: '/console/',
    index: 'index.html',
    setHeaders: (response: { setHeader(name: string, value: string): void }, file: string) => {
      response.setHeader(
        'cache-control',
        file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
      // The console loads nothing from elsewhere.
      response.setHeader(
        'content-security-policy',
        "default-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
      );
    },
  });
}
