// Greedy continuation with llama.cpp through node-llama-cpp's prebuilt
// library, for the greedy-token comparison tests (docs/models.md):
//   node scripts/llama-cpp-greedy.mjs MODEL.gguf PROMPT_IDS_JSON N
// prints the N token ids llama.cpp picks by argmax (temperature 0) after the
// prompt ids, as a JSON array; generation does not stop at EOS.
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [model, promptJson, nText] = process.argv.slice(2);
if (!model || !promptJson || !nText) {
  console.error("usage: node scripts/llama-cpp-greedy.mjs MODEL.gguf PROMPT_IDS_JSON N");
  process.exit(2);
}
const modules = process.env.CACHEOPT_NODE_LLAMA_CPP ?? join(homedir(), ".cache/cacheopt/node-llama-cpp-3.22.1/node_modules");
const require = createRequire(join(modules, "noop.js"));
const { getLlama, LlamaLogLevel } = await import(pathToFileURL(require.resolve("node-llama-cpp")).href);
const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
const m = await llama.loadModel({ modelPath: model, gpuLayers: 0 });
const context = await m.createContext({ contextSize: 512, threads: 1 });
const sequence = context.getSequence();
const out = [];
for await (const token of sequence.evaluate(JSON.parse(promptJson), { temperature: 0 })) {
  out.push(token);
  if (out.length >= Number(nText)) break;
}
process.stdout.write(JSON.stringify(out) + "\n");
await context.dispose();
await m.dispose();
await llama.dispose();
