/// <reference types="vitest/config" />
import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

// The dev server port is the devUrl in tauri.conf.json.
export default defineConfig({
  plugins: [react()],
  server: { port: 5173, strictPort: true },
  // Screens load on first visit; the largest chunk is CodeMirror (~530 kB),
  // which loads only when a document or JSON editor first opens.
  build: { chunkSizeWarningLimit: 600 },
  test: {
    environment: 'jsdom',
    setupFiles: ['./src/test/setup.ts'],
    restoreMocks: true,
  },
})
