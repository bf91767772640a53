import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * The console's build: ui/ → dist/ui, served by the server at /ui (src/server/plugins/ui.ts).
 * Hashed file names under assets/ let the server cache them for a year; index.html is never cached.
 * JSX is Preact's (tsconfig's jsxImportSource), compiled by Vite itself: no Babel plugin.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/ui/',
  build: {
    outDir: fileURLToPath(new URL('../dist/ui', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    chunkSizeWarningLimit: 400,
    // Quiet builds (the tests build too): no report of plugin timings.
    rolldownOptions: { checks: { pluginTimings: false } },
  },
  logLevel: 'warn',
});
