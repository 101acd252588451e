// Builds the dashboard into dist/ (index.html, app.js, app.css), which is committed and
// embedded into the server binary (src/dashboard.rs). Deterministic: the same sources and the
// pinned esbuild give byte-identical output, which `scripts/build-dashboard --check` relies on.
//
//   node build.mjs            build into dist/
//   node build.mjs OUTDIR     build into OUTDIR instead
import { copyFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

import * as esbuild from "esbuild";

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.resolve(process.argv[2] ?? path.join(here, "dist"));
await mkdir(outdir, { recursive: true });

// The generated client (../typescript/src) is imported by relative path. Its runtime packages
// must resolve from this package's node_modules whatever imports them, so that the bundle holds
// one copy of each and does not depend on whether clients/typescript has a node_modules.
const ownNodeModules = {
  name: "own-node-modules",
  setup(build) {
    build.onResolve({ filter: /^@(bufbuild|connectrpc)\// }, async (args) => {
      if (args.resolveDir === here || args.pluginData === "own") return undefined;
      const result = await build.resolve(args.path, {
        kind: args.kind,
        resolveDir: here,
        pluginData: "own",
      });
      if (result.errors.length > 0) return { errors: result.errors };
      return result;
    });
  },
};

const result = await esbuild.build({
  absWorkingDir: here,
  entryPoints: ["src/app.ts", "src/app.css"],
  outdir,
  entryNames: "[name]",
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["es2022", "chrome110", "firefox110", "safari16"],
  minify: true,
  legalComments: "none",
  charset: "utf8",
  sourcemap: false,
  metafile: false,
  logLevel: "warning",
  plugins: [ownNodeModules],
});
if (result.errors.length > 0) process.exit(1);
await copyFile(path.join(here, "src/index.html"), path.join(outdir, "index.html"));
console.log(`build-dashboard: wrote ${path.relative(process.cwd(), outdir) || "."}/{index.html,app.js,app.css}`);
