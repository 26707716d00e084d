import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The operators' console: a small Preact SPA, built to console/dist and served by Nest at /console
// (src/console). JSX goes through Vite's own esbuild (no Babel preset needed).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 400 },
  logLevel: 'warn',
});
