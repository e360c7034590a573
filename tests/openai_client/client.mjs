// The official openai npm client against a running `cacheopt serve`:
// completions and chat, whole and streamed, equal `cacheopt generate`'s
// greedy continuation of the same prompt; errors arrive as APIError with the
// right status and param; chat tools (a server with the llama-3 template at
// TOOLS_URL) come back as tool_calls, whole and streamed.
// Usage: node client.mjs BASE_URL CACHEOPT_BINARY API_KEY TOOLS_URL
import OpenAI from 'openai';
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';

const [, , baseURL, binary, apiKey, toolsURL] = process.argv;

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

// The fields of issue 18: n, prompt lists, echo, logprobs, penalties,
// logit_bias and response_format, whole and streamed.
{
  const [p0, p1] = prompts;
  const want0 = (await client.completions.create({ model, prompt: p0, max_tokens: 8, temperature: 0 })).choices[0].text;
  const want1 = (await client.completions.create({ model, prompt: p1, max_tokens: 8, temperature: 0 })).choices[0].text;
  // A list of prompts, n each: prompt-major, n-minor; usage counts each prompt once.
  const batch = await client.completions.create({ model, prompt: [p0, p1], n: 2, max_tokens: 8, temperature: 0, logprobs: 2 });
  assert.equal(batch.choices.length, 4);
  assert.deepEqual(batch.choices.map((c) => c.index), [0, 1, 2, 3]);
  assert.deepEqual(batch.choices.map((c) => c.text), [want0, want0, want1, want1]);
  assert.equal(batch.usage.completion_tokens, batch.choices.reduce((n, c) => n + c.logprobs.tokens.length, 0));
  for (const c of batch.choices) {
    const lp = c.logprobs;
    assert.equal(lp.tokens.join(''), c.text);
    assert.equal(lp.token_logprobs.length, lp.tokens.length);
    assert.equal(lp.text_offset[0], 0);
    for (const [i, top] of lp.top_logprobs.entries()) {
      assert.ok(Object.keys(top).length >= 2);
      // Greedy: the sampled token is the most likely one.
      assert.equal(Math.max(...Object.values(top)), lp.token_logprobs[i]);
    }
  }
  // Streamed: the same texts and log-probabilities per choice index.
  const texts = ['', '', '', ''];
  const lps = [[], [], [], []];
  const finished = new Set();
  let streamUsage = null;
  const stream = await client.completions.create({
    model, prompt: [p0, p1], n: 2, max_tokens: 8, temperature: 0, logprobs: 2, stream: true,
    stream_options: { include_usage: true },
  });
  for await (const chunk of stream) {
    for (const c of chunk.choices) {
      texts[c.index] += c.text;
      if (c.logprobs) lps[c.index].push(...c.logprobs.token_logprobs);
      if (c.finish_reason) finished.add(c.index);
    }
    if (chunk.usage) streamUsage = chunk.usage;
  }
  assert.deepEqual(texts, batch.choices.map((c) => c.text));
  assert.deepEqual(lps, batch.choices.map((c) => c.logprobs.token_logprobs));
  assert.equal(finished.size, 4);
  assert.deepEqual(streamUsage, batch.usage);

  // echo, penalties, logit_bias.
  const echoed = await client.completions.create({ model, prompt: p0, max_tokens: 8, temperature: 0, echo: true });
  assert.equal(echoed.choices[0].text, p0 + want0);
  const penalised = await client.completions.create({
    model, prompt: p0, max_tokens: 8, temperature: 0, frequency_penalty: 2, presence_penalty: 2, repetition_penalty: 2,
  });
  assert.equal(penalised.usage.completion_tokens, 8);
  const biased = await client.completions.create({
    model, prompt: p0, max_tokens: 6, temperature: 0, logit_bias: { 300: 100 }, logprobs: 0,
  });
  assert.equal(new Set(biased.choices[0].logprobs.tokens).size, 1);

  // Chat: logprobs with top_logprobs, n.
  const messages = [{ role: 'user', content: p0 }];
  const chat = await client.chat.completions.create({ model, messages, max_tokens: 6, temperature: 0, n: 2, logprobs: true, top_logprobs: 3 });
  assert.equal(chat.choices.length, 2);
  for (const c of chat.choices) {
    assert.equal(c.logprobs.content.map((t) => t.token).join(''), c.message.content);
    for (const t of c.logprobs.content) {
      assert.equal(t.top_logprobs.length, 3);
      assert.deepEqual(t.bytes, [...Buffer.from(t.token)]);
    }
  }
  const one = await client.chat.completions.create({ model, messages, max_tokens: 6, temperature: 0, logprobs: true, top_logprobs: 1 });
  const chatLps = [];
  const chatStream = await client.chat.completions.create({ model, messages, max_tokens: 6, temperature: 0, logprobs: true, top_logprobs: 1, stream: true });
  for await (const chunk of chatStream) chatLps.push(...(chunk.choices[0]?.logprobs?.content ?? []).map((t) => t.logprob));
  assert.deepEqual(chatLps, one.choices[0].logprobs.content.map((t) => t.logprob));

  // response_format: always JSON, matching the schema.
  const schema = {
    type: 'object',
    properties: { name: { type: 'string', maxLength: 12 }, age: { type: 'integer' }, pet: { enum: ['cat', 'dog'] } },
    required: ['name', 'pet'],
    additionalProperties: false,
  };
  const response_format = { type: 'json_schema', json_schema: { name: 'person', strict: true, schema } };
  for (let seed = 0; seed < 5; ++seed) {
    const r = await client.chat.completions.create({ model, messages, max_tokens: 80, temperature: 1, seed, response_format });
    const v = JSON.parse(r.choices[0].message.content);
    assert.equal(typeof v.name, 'string');
    assert.ok(['cat', 'dog'].includes(v.pet));
    assert.equal(r.choices[0].finish_reason, 'stop');
  }
  // Streamed, and json_object (any object: it ends when the model closes it).
  let jsonText = '';
  let jsonFinish = null;
  const jsonStream = await client.chat.completions.create({
    model, messages, max_tokens: 80, temperature: 1, seed: 1, stream: true, response_format,
  });
  for await (const chunk of jsonStream) {
    jsonText += chunk.choices[0]?.delta?.content ?? '';
    jsonFinish = chunk.choices[0]?.finish_reason ?? jsonFinish;
  }
  assert.equal(jsonFinish, 'stop');
  assert.ok(['cat', 'dog'].includes(JSON.parse(jsonText).pet));
  const anyObject = await client.chat.completions.create({
    model, messages, max_tokens: 300, temperature: 0.7, seed: 2, response_format: { type: 'json_object' },
  });
  if (anyObject.choices[0].finish_reason === 'stop') assert.equal(typeof JSON.parse(anyObject.choices[0].message.content), 'object');
  else assert.ok(anyObject.choices[0].message.content.trimStart().startsWith('{'));

  // Limits and unsupported constructs: a 400 naming the field; the server keeps serving.
  for (const [body, param] of [
    [{ model, prompt: 'x', n: 1000 }, 'n'],
    [{ model, messages, logprobs: true, top_logprobs: 1000 }, 'top_logprobs'],
    [{ model, prompt: 'x', logit_bias: { abc: 1 } }, 'logit_bias.abc'],
    [{ model, messages, response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'string', pattern: 'a' } } } },
      'response_format.json_schema.schema.pattern'],
  ]) {
    const create = body.messages ? client.chat.completions.create(body) : client.completions.create(body);
    await assert.rejects(create, (e) => {
      assert.equal(e.status, 400);
      assert.equal(e.param, param);
      return true;
    });
  }
}

// Tools (issue 18): a template without a tool format refuses them naming the
// field; llama-3's serves forced calls whose arguments follow the schema.
{
  const tools = [
    { type: 'function', function: { name: 'get_weather', description: 'Weather of a city', parameters: {
      type: 'object', properties: { city: { type: 'string', maxLength: 10 }, unit: { enum: ['c', 'f'] } },
      required: ['city', 'unit'] } } },
    { type: 'function', function: { name: 'add', parameters: {
      type: 'object', properties: { a: { type: 'integer' }, b: { type: 'integer' } }, required: ['a', 'b'] } } },
  ];
  const messages = [{ role: 'user', content: 'Weather in Oslo?' }];
  await assert.rejects(client.chat.completions.create({ model, messages, tools, tool_choice: 'required' }), (e) => {
    assert.equal(e.status, 400);
    assert.equal(e.param, 'tools');
    return true;
  });
  const toolsClient = new OpenAI({ baseURL: toolsURL, apiKey, maxRetries: 0 });
  const checkCall = (call) => {
    assert.equal(call.type, 'function');
    assert.ok(call.id.startsWith('call_'), call.id);
    const args = JSON.parse(call.function.arguments);
    if (call.function.name === 'get_weather') {
      assert.equal(typeof args.city, 'string');
      assert.ok(['c', 'f'].includes(args.unit));
    } else {
      assert.equal(call.function.name, 'add');
      assert.ok(Number.isInteger(args.a) && Number.isInteger(args.b));
    }
  };
  const named = { type: 'function', function: { name: 'get_weather' } };
  for (let seed = 0; seed < 3; ++seed) {
    const tool_choice = seed % 2 ? named : 'required';
    const body = { model, messages, tools, tool_choice, max_tokens: 200, seed };
    const whole = await toolsClient.chat.completions.create(body);
    const c = whole.choices[0];
    assert.equal(c.finish_reason, 'tool_calls');
    assert.equal(c.message.content, null);
    assert.equal(c.message.tool_calls.length, 1);
    checkCall(c.message.tool_calls[0]);
    if (seed % 2) assert.equal(c.message.tool_calls[0].function.name, 'get_weather');
    // Streamed: the deltas add up to the same call, as the client accumulates them.
    const calls = [];
    let finish = null;
    for await (const chunk of await toolsClient.chat.completions.create({ ...body, stream: true })) {
      const ch = chunk.choices[0];
      if (!ch) continue;
      for (const t of ch.delta?.tool_calls ?? []) {
        if (!calls[t.index]) calls[t.index] = { id: t.id, type: t.type, function: { name: t.function.name, arguments: '' } };
        calls[t.index].function.arguments += t.function?.arguments ?? '';
      }
      finish = ch.finish_reason ?? finish;
    }
    assert.equal(finish, 'tool_calls');
    assert.equal(calls.length, 1);
    checkCall(calls[0]);
    assert.deepEqual(calls[0].function, c.message.tool_calls[0].function);
  }
  // A conversation carrying a call and its result, then a forced call again.
  const convo = [...messages,
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'add', arguments: '{"a":1,"b":2}' } }] },
    { role: 'tool', tool_call_id: 'call_1', content: '3' }];
  const next = await toolsClient.chat.completions.create({ model, messages: convo, tools, tool_choice: named, max_tokens: 200, seed: 9 });
  assert.equal(next.choices[0].finish_reason, 'tool_calls');
  checkCall(next.choices[0].message.tool_calls[0]);
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
