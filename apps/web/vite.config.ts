import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { precacheServiceWorker } from './vite-precache-plugin.js';

// The Tandem server that `vite` and `vite preview` proxy the REST API and WebSockets to.
const server = process.env.TANDEM_SERVER_URL ?? 'http://127.0.0.1:1234';
const proxy = {
  '/api': { target: server, changeOrigin: true },
  '/sync': { target: server.replace(/^http/, 'ws'), ws: true, changeOrigin: true },
};

export default defineConfig({
  plugins: [react(), precacheServiceWorker()],
  server: { proxy },
  preview: { proxy },
  // Tiptap + ProseMirror + Yjs make one ~250 kB (gzip) chunk; the app is useless without it.
  build: { outDir: 'dist', sourcemap: true, chunkSizeWarningLimit: 1024 },
});
