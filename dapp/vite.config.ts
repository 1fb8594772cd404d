// Vite build of the dApp. `--mode production` (npm run build) compiles the demo wallet out;
// `--mode demo` (what `npm start` builds) and the dev server keep it. Assets use relative URLs
// so the bundle can be hosted under any path, and config.json is fetched at run time.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";
// The one file outside @kraken/sdk/config that reads process.env (KRAKEN_DAPP_CONFIG, declared
// there) and writes a default port out: Vite loads this file with plain Node, leaving the linked
// workspace packages external, and a Node without TypeScript support cannot import the SDK's .ts.

/** Dev server only: serve /config.json from $KRAKEN_DAPP_CONFIG (a file written by the server). */
function devConfig(): Plugin {
  return {
    name: "kraken-dev-config",
    apply: "serve",
    configureServer(server) {
      server.middlewares.use("/config.json", (_req, res) => {
        const file = process.env.KRAKEN_DAPP_CONFIG ?? join(import.meta.dirname, "..", ".data", "dapp", "config.json");
        if (!existsSync(file)) {
          res.statusCode = 404;
          res.end(`no dApp config at ${file}: run npm start once, or set KRAKEN_DAPP_CONFIG`);
          return;
        }
        res.setHeader("content-type", "application/json");
        res.end(readFileSync(file));
      });
    },
  };
}

/**
 * The SDK's modules and their crypto/encoding dependencies have no side effects, so the ones a
 * chunk does not use stay out of it (tweetnacl is CommonJS and would otherwise always be kept). Done here, not in sdk/package.json, so that
 * Node tools keep their default behaviour.
 */
function sdkWithoutSideEffects(): Plugin {
  return {
    name: "kraken-sdk-side-effect-free",
    transform: {
      filter: { id: /[\\/](sdk[\\/]src|node_modules[\\/](tweetnacl|multiformats|shamir-secret-sharing))[\\/]/ },
      handler(code) {
        return { code, moduleSideEffects: false };
      },
    },
  };
}

/**
 * WebAssembly ES-module integration (`import * as wasm from "./x_bg.wasm"`, as wasm-bindgen's
 * bundler target — didkit — emits it): the .wasm becomes an asset fetched and instantiated by a
 * small generated module, with the wasm's own imports wired in. Only reached through the lazy
 * didkit chunk, so nothing is fetched until credentials are used.
 */
function wasmModules(): Plugin {
  return {
    name: "kraken-wasm-esm",
    enforce: "pre",
    async load(id) {
      if (!id.endsWith(".wasm") || id.includes("?")) return null;
      const module = new WebAssembly.Module(readFileSync(id));
      const imports = [...new Set(WebAssembly.Module.imports(module).map((i) => i.module))];
      const exports = WebAssembly.Module.exports(module).map((e) => e.name);
      return [
        `import url from ${JSON.stringify(id + "?url")};`,
        ...imports.map((m, i) => `import * as i${i} from ${JSON.stringify(m)};`),
        `const imports = { ${imports.map((m, i) => `${JSON.stringify(m)}: i${i}`).join(", ")} };`,
        `const res = await fetch(url);`,
        `const { instance } = await WebAssembly.instantiate(await res.arrayBuffer(), imports);`,
        ...exports.map((e) => `export const ${e} = instance.exports[${JSON.stringify(e)}];`),
      ].join("\n");
    },
  };
}

export default defineConfig(({ mode }) => ({
  base: "./",
  plugins: [wasmModules(), react(), devConfig(), sdkWithoutSideEffects()],
  define: { __KRAKEN_DEMO__: JSON.stringify(mode !== "production") },
  build: {
    target: "es2022",
    sourcemap: false,
    chunkSizeWarningLimit: 3000,
  },
  server: { host: "127.0.0.1", port: 5173 }, // DEFAULT_PORTS.dapp (sdk/test/config.test.ts checks they agree)
}));
