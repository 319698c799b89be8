/**
 * @module console/vite.config
 * The console's build: `vite build --config src/console/vite.config.ts` from
 * the package root (paths are relative to it) writes dist/console/, which
 * `baton server` serves. Everything is emitted as files (no inline script or
 * style), so the server's Content-Security-Policy needs no 'unsafe-inline'.
 */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: 'src/console',
  base: '/',
  plugins: [react()],
  build: {
    outDir: '../../dist/console',
    emptyOutDir: true,
    // A data: URL would need img-src data: and hides assets from the CSP; keep them files.
    assetsInlineLimit: 0,
    sourcemap: true,
  },
});
