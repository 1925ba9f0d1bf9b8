// Builds a JavaScript tool into a component with componentize-js.
//
//     node build.mjs tool.js --wit wit --world tool -o tool.wasm
//
// Run it where `@bytecodealliance/componentize-js` is installed (npm
// resolves it from this script's folder upwards). Two things it does that
// calling componentize-js's own command does not:
// - it gives componentize-js's WIT reader the file system: preview2-shim
//   0.26, which jco 1.35 pulls in, starts with no directories at all, so
//   the command fails with "reading file ...: No such file or directory";
// - it leaves out the engine's HTTP support (`fetch`), which a tool does
//   not need and which would make every agent it is part of import
//   `wasi:http` (and need `-S http` under `wasmtime run`).
import { _setPreopens } from "@bytecodealliance/preview2-shim/filesystem";
import { componentize } from "@bytecodealliance/componentize-js";
import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";

const usage = "usage: node build.mjs SOURCE.js --wit DIR [--world tool] -o OUT.wasm";
let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: {
      wit: { type: "string", default: "wit" },
      world: { type: "string", default: "tool" },
      out: { type: "string", short: "o" },
      enable: { type: "string", multiple: true, default: [] },
    },
  });
} catch (error) {
  console.error(`${error.message}\n${usage}`);
  process.exit(2);
}
const { values, positionals } = parsed;
if (positionals.length !== 1 || !values.out) {
  console.error(usage);
  process.exit(2);
}

_setPreopens({ "/": "/" });
const disabled = ["http", "fetch-event"].filter((f) => !values.enable.includes(f));
try {
  const { component } = await componentize({
    sourcePath: resolve(positionals[0]),
    witPath: resolve(values.wit),
    worldName: values.world,
    disableFeatures: disabled,
  });
  await writeFile(values.out, component);
} catch (error) {
  console.error(`cannot build ${positionals[0]}: ${error.message ?? error}`);
  process.exit(1);
}
