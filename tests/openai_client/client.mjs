// The official openai npm client against a running `cacheopt serve`:
// completions and chat, whole and streamed, equal `cacheopt generate`'s
// greedy continuation of the same prompt; errors arrive as APIError with the
// right status and param. Usage: node client.mjs BASE_URL CACHEOPT_BINARY API_KEY
import OpenAI from 'openai';
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';

const [, , baseURL, binary, apiKey] = process.argv;

async function waitReady() {
  const health = baseURL.replace(/\/v1$/, '') + '/health';
  for (let i = 0; i < 600; ++i) {
    try {
      if ((await fetch(health)).status === 200) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server not ready: ' + health);
}

function generate(prompt, n) {
  return execFileSync(binary, ['generate', '-t', '0', '-n', String(n), '--prompt', prompt], {
    stdio: ['ignore', 'pipe', 'ignore'],
  }).toString();
}

// The reference texts first: execFileSync blocks node's event loop, and a
// keep-alive socket the server closed meanwhile (its idle timeout) would be
// reused before node saw it close (ECONNRESET under slow sanitizer builds).
const prompts = ['Once upon a time', 'The dog'];
const wanted = new Map(prompts.map((p) => [p, generate(p, 48)]));

await waitReady();
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
const models = await client.models.list();
const model = models.data[0].id;

for (const prompt of prompts) {
  const want = wanted.get(prompt);
  const whole = await client.completions.create({ model, prompt, max_tokens: 48, temperature: 0 });
  const text = whole.choices[0].text;
  assert.ok(text.length > 0);
  assert.ok(want.endsWith(text + '\n'), `generate: ${JSON.stringify(want)}\nserver: ${JSON.stringify(text)}`);
  assert.equal(whole.usage.completion_tokens, 48);

  let streamed = '';
  let usage = null;
  const stream = await client.completions.create({
    model, prompt, max_tokens: 48, temperature: 0, stream: true, stream_options: { include_usage: true },
  });
  for await (const chunk of stream) {
    if (chunk.choices.length > 0) streamed += chunk.choices[0].text;
    if (chunk.usage) usage = chunk.usage;
  }
  assert.equal(streamed, text);
  assert.equal(usage.completion_tokens, 48);

  const messages = [{ role: 'user', content: prompt }];
  const chat = await client.chat.completions.create({ model, messages, max_tokens: 48, temperature: 0 });
  assert.equal(chat.choices[0].message.role, 'assistant');
  assert.equal(chat.choices[0].message.content, text);
  let chatText = '';
  const chatStream = await client.chat.completions.create({ model, messages, max_tokens: 48, temperature: 0, stream: true });
  for await (const chunk of chatStream) chatText += chunk.choices[0]?.delta?.content ?? '';
  assert.equal(chatText, text);
}

// Errors: status and the field at fault.
await assert.rejects(client.completions.create({ model, prompt: 'x', max_tokens: 0 }), (e) => {
  assert.equal(e.status, 400);
  assert.equal(e.param, 'max_tokens');
  return true;
});
await assert.rejects(client.completions.create({ model: 'no-such-model', prompt: 'x' }), (e) => {
  assert.equal(e.status, 404);
  return true;
});
const wrongKey = new OpenAI({ baseURL, apiKey: apiKey + 'x', maxRetries: 0 });
await assert.rejects(wrongKey.models.list(), (e) => {
  assert.equal(e.status, 401);
  return true;
});
console.log(`openai npm client: ok (model ${model})`);
