// server.mjs: llama.cpp (through node-llama-cpp 3.21.1) behind a small
// OpenAI-compatible HTTP server, for berth's gateway tests and bench. It is
// a real engine: every token comes from the model, usage counts from its
// tokenizer. internal/llmtest starts it; run by hand:
//
//	node testdata/llm/server.mjs --modules "$(scripts/fetch-llama.sh)" \
//	    --model tiny.gguf --port 8081
//
// Routes: GET /health, GET /v1/models, POST /v1/chat/completions,
// POST /v1/completions (both with "stream": true as text/event-stream
// "data: {json}" frames ending in "data: [DONE]"), POST /v1/embeddings.
// Requests run one at a time on one llama.cpp context with one thread
// (several threads spinning on a shared 2-core machine are slower by
// orders of magnitude); the history is cleared before each request, so
// equal requests at temperature 0 give equal answers. Nothing is fetched at
// run time: the prebuilt library must be installed (build: "never").
//
// Chat messages become one prompt, "<role>: <content>\n" per message and
// "assistant: " at the end, so prompt_tokens is exact and easy to check.
import http from "node:http";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    modules: { type: "string" }, // the directory holding node_modules/node-llama-cpp
    model: { type: "string" }, // the GGUF file
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "0" }, // 0: any free port, printed on stdout
    "context-size": { type: "string", default: "1024" },
    name: { type: "string", default: "" }, // the model id answered (default: the file's general.name)
    "max-body-bytes": { type: "string", default: String(1 << 20) },
  },
});
if (!args.modules || !args.model) {
  console.error("usage: server.mjs --modules DIR --model FILE.gguf [--port N] [--context-size N]");
  process.exit(2);
}

const { getLlama, LlamaCompletion } = await import(
  pathToFileURL(join(args.modules, "node_modules", "node-llama-cpp", "dist", "index.js")).href
);
const llama = await getLlama({
  gpu: false,
  build: "never",
  usePrebuiltBinaries: true,
  skipDownload: true,
  progressLogs: false,
  logLevel: "warn",
  maxThreads: 1,
});
const model = await llama.loadModel({ modelPath: args.model });
const contextSize = Number(args["context-size"]);
const context = await model.createContext({ contextSize, threads: 1, batchSize: contextSize });
const sequence = context.getSequence();
const completion = new LlamaCompletion({ contextSequence: sequence });
const modelName = args.name || model.fileInfo?.metadata?.general?.name || "llama";
const maxBody = Number(args["max-body-bytes"]);
const bos = model.tokens.bos;
let embeddingContext = null; // made on the first /v1/embeddings call

// One request at a time on the one sequence.
let queue = Promise.resolve();
function serialized(fn) {
  const run = queue.then(fn, fn);
  queue = run.catch(() => {});
  return run;
}

class ClientError extends Error {
  constructor(message, param = null, code = null, status = 400) {
    super(message);
    this.param = param;
    this.code = code;
    this.status = status;
  }
}

function sendJSON(res, status, body) {
  const data = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(data) });
  res.end(data);
}

function sendError(res, err) {
  const status = err instanceof ClientError ? err.status : 500;
  const type = status < 500 ? "invalid_request_error" : "server_error";
  const message = err instanceof ClientError ? err.message : `engine: ${err?.message ?? err}`;
  if (res.headersSent) {
    // Mid-stream: an error frame, as OpenAI-compatible servers send it.
    res.end(`data: ${JSON.stringify({ error: { message, type, param: err.param ?? null, code: err.code ?? null } })}\n\n`);
    return;
  }
  sendJSON(res, status, { error: { message, type, param: err.param ?? null, code: err.code ?? null } });
}

async function readJSON(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > maxBody) throw new ClientError(`request body over ${maxBody} bytes`, null, null, 413);
    chunks.push(chunk);
  }
  let body;
  try {
    body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch (e) {
    throw new ClientError(`invalid JSON body: ${e.message}`);
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw new ClientError("body must be a JSON object");
  return body;
}

function numberParam(body, name, { min, max, integer = false, def }) {
  const v = body[name];
  if (v === undefined || v === null) return def;
  if (typeof v !== "number" || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max)
    throw new ClientError(`${name} must be ${integer ? "an integer" : "a number"} in [${min}, ${max}], got ${JSON.stringify(v)}`, name);
  return v;
}

function stopParam(body) {
  const v = body.stop;
  if (v === undefined || v === null) return [];
  const list = typeof v === "string" ? [v] : v;
  if (!Array.isArray(list) || list.length > 4 || !list.every((s) => typeof s === "string" && s.length > 0))
    throw new ClientError("stop must be a non-empty string or an array of up to 4 of them", "stop");
  return list;
}

function chatPrompt(messages) {
  if (!Array.isArray(messages) || messages.length === 0) throw new ClientError("messages must be a non-empty array", "messages");
  let prompt = "";
  messages.forEach((m, i) => {
    if (m === null || typeof m !== "object" || typeof m.role !== "string")
      throw new ClientError(`messages[${i}].role must be a string`, "messages");
    let content = m.content ?? "";
    if (Array.isArray(content))
      content = content.map((p) => (p && p.type === "text" && typeof p.text === "string" ? p.text : "")).join("");
    if (typeof content !== "string") throw new ClientError(`messages[${i}].content must be a string or text parts`, "messages");
    prompt += `${m.role}: ${content}\n`;
  });
  return prompt + "assistant: ";
}

// generate runs one completion of prompt, calling onText with each chunk
// of text; it answers {text, finishReason, promptTokens, completionTokens}.
async function generate(prompt, body, onText, signal) {
  const maxTokens = numberParam(body, "max_tokens", { min: 1, max: contextSize, integer: true, def: 16 });
  const temperature = numberParam(body, "temperature", { min: 0, max: 2, def: 0 });
  const topP = numberParam(body, "top_p", { min: 0, max: 1, def: undefined });
  const seed = numberParam(body, "seed", { min: 0, max: 2 ** 32 - 1, integer: true, def: 0 });
  const n = numberParam(body, "n", { min: 1, max: 1, integer: true, def: 1 });
  void n;
  const stop = stopParam(body);
  const tokens = model.tokenize(prompt);
  const promptTokens = tokens.length + (bos != null ? 1 : 0);
  if (promptTokens + maxTokens > contextSize)
    throw new ClientError(
      `This model's maximum context length is ${contextSize} tokens. However, you requested ${promptTokens + maxTokens} tokens (${promptTokens} in the messages, ${maxTokens} in the completion).`,
      "messages",
      "context_length_exceeded",
    );
  return serialized(async () => {
    await sequence.clearHistory();
    let completionTokens = 0;
    const res = await completion.generateCompletionWithMeta(tokens, {
      maxTokens,
      temperature,
      topP,
      seed,
      customStopTriggers: stop.length ? stop : undefined,
      disableContextShift: true,
      signal,
      stopOnAbortSignal: true,
      onToken: (t) => (completionTokens += t.length),
      onTextChunk: onText,
    });
    const reason = res.metadata.stopReason === "maxTokens" ? "length" : "stop";
    return { text: res.response, finishReason: reason, promptTokens, completionTokens };
  });
}

let counter = 0;
const newID = (prefix) => `${prefix}-${Date.now().toString(36)}${(++counter).toString(36)}`;

async function completions(req, res, chat) {
  const body = await readJSON(req);
  let prompt;
  if (chat) prompt = chatPrompt(body.messages);
  else {
    prompt = body.prompt;
    if (Array.isArray(prompt) && prompt.length === 1) prompt = prompt[0];
    if (typeof prompt !== "string") throw new ClientError("prompt must be a string", "prompt");
  }
  const stream = body.stream === true;
  const includeUsage = stream && body.stream_options?.include_usage === true;
  const id = newID(chat ? "chatcmpl" : "cmpl");
  const created = Math.floor(Date.now() / 1000);
  const object = chat ? (stream ? "chat.completion.chunk" : "chat.completion") : "text_completion";
  const choice = (text, finish, first) =>
    chat
      ? stream
        ? { index: 0, delta: first ? { role: "assistant", content: text } : text === null ? {} : { content: text }, logprobs: null, finish_reason: finish }
        : { index: 0, message: { role: "assistant", content: text }, logprobs: null, finish_reason: finish }
      : { index: 0, text: text ?? "", logprobs: null, finish_reason: finish };
  const usage = (r) => ({ prompt_tokens: r.promptTokens, completion_tokens: r.completionTokens, total_tokens: r.promptTokens + r.completionTokens });
  const frame = (o) => res.write(`data: ${JSON.stringify(o)}\n\n`);

  if (!stream) {
    const r = await generate(prompt, body, undefined, undefined);
    sendJSON(res, 200, { id, object, created, model: modelName, choices: [choice(r.text, r.finishReason, true)], usage: usage(r) });
    return;
  }
  const abort = new AbortController();
  res.on("close", () => abort.abort());
  let first = true;
  const onText = (text) => {
    if (first) res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    frame({ id, object, created, model: modelName, choices: [choice(text, null, first)] });
    first = false;
  };
  const r = await generate(prompt, body, onText, abort.signal);
  if (first) {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    if (chat) frame({ id, object, created, model: modelName, choices: [choice("", null, true)] });
  }
  frame({ id, object, created, model: modelName, choices: [choice(null, r.finishReason, false)] });
  if (includeUsage) frame({ id, object, created, model: modelName, choices: [], usage: usage(r) });
  res.end("data: [DONE]\n\n");
}

async function embeddings(req, res) {
  const body = await readJSON(req);
  let input = body.input;
  if (typeof input === "string") input = [input];
  if (!Array.isArray(input) || input.length === 0 || input.length > 64 || !input.every((s) => typeof s === "string"))
    throw new ClientError("input must be a string or an array of 1 to 64 strings", "input");
  const result = await serialized(async () => {
    embeddingContext ??= await model.createEmbeddingContext({ contextSize, threads: 1, batchSize: contextSize });
    const data = [];
    let promptTokens = 0;
    for (const [index, text] of input.entries()) {
      const tokens = model.tokenize(text);
      if (tokens.length + 1 > contextSize)
        throw new ClientError(`input[${index}] is ${tokens.length} tokens, over the context size ${contextSize}`, "input", "context_length_exceeded");
      promptTokens += tokens.length + (bos != null ? 1 : 0);
      const e = await embeddingContext.getEmbeddingFor(tokens);
      data.push({ object: "embedding", index, embedding: Array.from(e.vector) });
    }
    return { data, promptTokens };
  });
  sendJSON(res, 200, {
    object: "list",
    data: result.data,
    model: modelName,
    usage: { prompt_tokens: result.promptTokens, total_tokens: result.promptTokens },
  });
}

const routes = {
  "GET /health": async (req, res) => sendJSON(res, 200, { status: "ok" }),
  "GET /v1/models": async (req, res) =>
    sendJSON(res, 200, { object: "list", data: [{ id: modelName, object: "model", created: 0, owned_by: "berth" }] }),
  "POST /v1/chat/completions": (req, res) => completions(req, res, true),
  "POST /v1/completions": (req, res) => completions(req, res, false),
  "POST /v1/embeddings": embeddings,
};

const server = http.createServer(async (req, res) => {
  const path = new URL(req.url, "http://x").pathname;
  const route = routes[`${req.method} ${path}`];
  try {
    if (!route) {
      const known = Object.keys(routes).some((k) => k.endsWith(` ${path}`));
      throw new ClientError(known ? `method ${req.method} not allowed on ${path}` : `no route ${path}`, null, null, known ? 405 : 404);
    }
    await route(req, res);
  } catch (err) {
    sendError(res, err);
  }
});
server.keepAliveTimeout = 30_000;
server.listen(Number(args.port), args.host, () => {
  const { port } = server.address();
  // internal/llmtest reads this line to learn the port.
  console.log(`listening on http://${args.host}:${port}`);
});
for (const sig of ["SIGINT", "SIGTERM"])
  process.on(sig, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), 1000).unref();
  });
