import { defineConfig } from "vite";

// The daemon serves dist/ from http.dashboard_dir; in development, `npm run dev` proxies the API to a
// daemon on STERIFLEET_API (default http://127.0.0.1:8080).
const api = process.env.STERIFLEET_API ?? "http://127.0.0.1:8080";

export default defineConfig({
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    // Chart.js alone is ~200 kB minified; one chunk for it keeps the app's own chunk small and cacheable.
    chunkSizeWarningLimit: 400,
    rollupOptions: {
      output: {
        manualChunks(id: string) {
          if (id.includes("node_modules/chart.js") || id.includes("node_modules/@kurkle")) return "charts";
          if (id.includes("node_modules/preact")) return "preact";
          return undefined;
        },
      },
    },
  },
  server: {
    proxy: { "/api": api, "/metrics": api, "/healthz": api, "/readyz": api },
  },
});
