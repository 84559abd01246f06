// Bundles the workspace into dure/web/static/web/ (workspace.js, workspace.css and the font files).
import * as esbuild from "esbuild";
import { gzipSync } from "node:zlib";
import { readFileSync } from "node:fs";

const outdir = new URL("../dure/web/static/web/", import.meta.url).pathname;
const result = await esbuild.build({
  entryPoints: { workspace: "src/main.ts" },
  bundle: true,
  minify: true,
  sourcemap: "linked",
  format: "iife",
  target: ["es2022"],
  outdir,
  entryNames: "[name]",
  assetNames: "workspace-assets/[name]-[hash]",
  loader: { ".woff2": "file", ".woff": "file" },
  legalComments: "linked",
  metafile: true,
  logLevel: "warning",
});
for (const file of ["workspace.js", "workspace.css"]) {
  const bytes = readFileSync(outdir + file);
  console.log(`${file}: ${bytes.length} bytes, ${gzipSync(bytes).length} gzipped`);
}
void result;
