import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

// The dashboard is built to static files that the server serves from its own origin under a strict CSP:
// no inline scripts or styles, so Vite's module preload polyfill (an inline script) is turned off.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    cssCodeSplit: false,
  },
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
});
