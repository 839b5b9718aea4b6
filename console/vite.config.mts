/// <reference types="vitest/config" />
// The web console: built by scripts/setup.sh into hub/api/console/dist, which the hub serves at "/".
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = fileURLToPath(new URL(".", import.meta.url));

export default defineConfig({
  root: here,
  base: "/",
  // Preact's JSX runtime, through Vite's own transform: no plugin needed.
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: fileURLToPath(new URL("../hub/api/console/dist", import.meta.url)),
    emptyOutDir: true,
    // Builds are compared by content (hub/api/console serves the names it finds); no source maps shipped.
    sourcemap: false,
    chunkSizeWarningLimit: 400,
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
