// Tokenizes texts with llama.cpp through node-llama-cpp's prebuilt library
// (the peer the llama.cpp comparison tests use when no llama-tokenize is
// built; docs/models.md):
//   node scripts/llama-cpp-tokenize.mjs MODEL.gguf TEXTS.json > IDS.json
// TEXTS.json: an array of strings; prints an array of id arrays, special
// tokens parsed, no BOS added (the caller adds it as the vocabulary says).
// NODE_PATH or $CACHEOPT_NODE_LLAMA_CPP (default
// ~/.cache/cacheopt/node-llama-cpp-3.22.1/node_modules) finds the package.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [model, textsFile] = process.argv.slice(2);
if (!model || !textsFile) {
  console.error("usage: node scripts/llama-cpp-tokenize.mjs MODEL.gguf TEXTS.json");
  process.exit(2);
}
const modules = process.env.CACHEOPT_NODE_LLAMA_CPP ?? join(homedir(), ".cache/cacheopt/node-llama-cpp-3.22.1/node_modules");
const require = createRequire(join(modules, "noop.js"));
const { getLlama, LlamaLogLevel } = await import(pathToFileURL(require.resolve("node-llama-cpp")).href);
const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
const m = await llama.loadModel({ modelPath: model, gpuLayers: 0, vocabOnly: true });
const texts = JSON.parse(readFileSync(textsFile, "utf8"));
process.stdout.write(JSON.stringify(texts.map((t) => Array.from(m.tokenize(t, true)))));
process.stdout.write("\n");
await m.dispose();
await llama.dispose();
