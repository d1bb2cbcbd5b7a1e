import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

// In development the API is another process (`assets serve`): /v1 goes there, so that the app
// talks to the same origin as it will once the server serves dist/ itself.
const api = process.env.ASSETS_URL ?? 'http://127.0.0.1:8899'

export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', sourcemap: true, chunkSizeWarningLimit: 400 },
  server: { proxy: { '/v1': { target: api, changeOrigin: false } } },
  preview: { proxy: { '/v1': { target: api, changeOrigin: false } } },
})
