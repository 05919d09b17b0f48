import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

// Built into dist/services/console-web; ingest serves it at /console/ (same origin as the API).
export default defineConfig({
  root: here,
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../../dist/services/console-web', import.meta.url)),
    emptyOutDir: true,
    // One chunk is fine for a console; Konva and Chart.js make it larger than Vite's warning size.
    chunkSizeWarningLimit: 2048,
  },
});
