#!/usr/bin/env node
// A minimal Open Inference Protocol (v2) server on onnxruntime-node: berth's
// Node.js peer in the benchmarks. No framework, just node:http.
//
//   node bench/node/server.js --model PATH.onnx --port N [--threads 1] [--host 127.0.0.1] [--name m]
//
//   GET  /ping, /v2/health/live, /v2/health/ready   200 once the model is loaded
//   POST /v2/models/<name>/infer                     Open Inference Protocol v2 JSON
//
// Request:  {"inputs": [{"name": "input", "shape": [n, ...], "datatype": "FP32", "data": [...]}],
//            "outputs": [{"name": "..."}]}   ("outputs" optional: which outputs to return)
// Response: {"model_name": "m", "outputs": [{"name", "shape", "datatype", "data": [...]}]}
// Errors:   {"error": "..."} with 400 (bad request), 404, 405, 413 or 500.
//
// The session uses the serving settings berth uses: the CPU execution provider,
// intraOpNumThreads = --threads (default 1), interOpNumThreads 1, sequential
// execution, all graph optimizations, no spinning threads.
//
// One process, and so one JavaScript thread: onnxruntime-node runs the model
// on that thread, so requests are served one inference at a time. A user
// could put several processes behind node:cluster (one per core, each with
// its own session); the benchmark compares one process of each server.
'use strict';

const http = require('node:http');
const { parseArgs } = require('node:util');
const ort = require('onnxruntime-node');

const MAX_BODY_BYTES = 64 << 20;

// Open Inference Protocol datatype <-> onnxruntime-node tensor type.
const FROM_OIP = {
  BOOL: 'bool',
  INT8: 'int8',
  INT16: 'int16',
  INT32: 'int32',
  INT64: 'int64',
  UINT8: 'uint8',
  UINT16: 'uint16',
  UINT32: 'uint32',
  UINT64: 'uint64',
  FP32: 'float32',
  FP64: 'float64',
  BYTES: 'string',
};
const TO_OIP = Object.fromEntries(Object.entries(FROM_OIP).map(([k, v]) => [v, k]));
const TYPED_ARRAY = {
  int8: Int8Array,
  int16: Int16Array,
  int32: Int32Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
  float32: Float32Array,
  float64: Float64Array,
};

class BadRequest extends Error {}

function usage(msg) {
  if (msg) process.stderr.write(`server.js: ${msg}\n`);
  process.stderr.write(
    'usage: node server.js --model PATH.onnx --port N [--threads 1] [--host 127.0.0.1] [--name m]\n',
  );
  process.exit(2);
}

function parseFlags() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        model: { type: 'string' },
        port: { type: 'string' },
        threads: { type: 'string', default: '1' },
        host: { type: 'string', default: '127.0.0.1' },
        name: { type: 'string', default: 'm' },
      },
    }));
  } catch (err) {
    usage(err.message);
  }
  const port = Number(values.port);
  const threads = Number(values.threads);
  if (!values.model) usage('--model is required');
  if (!Number.isInteger(port) || port < 0 || port > 65535) usage('--port must be 0..65535');
  if (!Number.isInteger(threads) || threads < 1) usage('--threads must be a positive integer');
  return { model: values.model, port, threads, host: values.host, name: values.name };
}

// tensorFromInput turns one request input into an ort.Tensor, checking it
// against the model's inputs.
function tensorFromInput(input, session) {
  if (input === null || typeof input !== 'object') throw new BadRequest('each input must be an object');
  const { name, shape, datatype } = input;
  let { data } = input;
  if (typeof name !== 'string' || !session.inputNames.includes(name)) {
    throw new BadRequest(`unknown input ${JSON.stringify(name)}; the model takes ${session.inputNames.join(', ')}`);
  }
  const type = FROM_OIP[datatype];
  if (type === undefined) throw new BadRequest(`input ${name}: unsupported datatype ${JSON.stringify(datatype)}`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new BadRequest(`input ${name}: shape must be a list of non-negative integers`);
  }
  if (!Array.isArray(data)) throw new BadRequest(`input ${name}: data must be a list`);
  if (data.length > 0 && Array.isArray(data[0])) data = data.flat(Infinity); // tolerate nested lists
  const size = shape.reduce((a, b) => a * b, 1);
  if (data.length !== size) {
    throw new BadRequest(`input ${name}: shape [${shape}] needs ${size} values, got ${data.length}`);
  }

  let values;
  if (type === 'string') {
    if (!data.every((v) => typeof v === 'string')) throw new BadRequest(`input ${name}: BYTES data must be strings`);
    values = data;
  } else if (type === 'bool') {
    values = new Uint8Array(size);
    for (let i = 0; i < size; i++) {
      if (typeof data[i] !== 'boolean') throw new BadRequest(`input ${name}: BOOL data must be true/false`);
      values[i] = data[i] ? 1 : 0;
    }
  } else if (type === 'int64' || type === 'uint64') {
    values = type === 'int64' ? new BigInt64Array(size) : new BigUint64Array(size);
    for (let i = 0; i < size; i++) {
      if (!Number.isSafeInteger(data[i])) throw new BadRequest(`input ${name}: ${datatype} data must be integers`);
      values[i] = BigInt(data[i]);
    }
  } else {
    values = new TYPED_ARRAY[type](size);
    const integer = type !== 'float32' && type !== 'float64';
    for (let i = 0; i < size; i++) {
      const v = data[i];
      if (typeof v !== 'number' || (integer && !Number.isInteger(v))) {
        throw new BadRequest(`input ${name}: ${datatype} data must be ${integer ? 'integers' : 'numbers'}`);
      }
      values[i] = v;
    }
  }
  return new ort.Tensor(type, values, shape);
}

function outputFromTensor(name, tensor) {
  const datatype = TO_OIP[tensor.type];
  if (datatype === undefined) throw new Error(`output ${name}: tensor type ${tensor.type} has no OIP datatype`);
  let data;
  if (tensor.type === 'int64' || tensor.type === 'uint64') data = Array.from(tensor.data, Number);
  else if (tensor.type === 'bool') data = Array.from(tensor.data, Boolean);
  else data = Array.from(tensor.data);
  return { name, shape: tensor.dims, datatype, data };
}

async function infer(session, modelName, body) {
  let req;
  try {
    req = JSON.parse(body);
  } catch (err) {
    throw new BadRequest(`request body is not JSON: ${err.message}`);
  }
  if (req === null || typeof req !== 'object' || !Array.isArray(req.inputs) || req.inputs.length === 0) {
    throw new BadRequest('request must be an object with a non-empty "inputs" list');
  }
  const feeds = {};
  for (const input of req.inputs) {
    const tensor = tensorFromInput(input, session);
    if (input.name in feeds) throw new BadRequest(`input ${input.name} given twice`);
    feeds[input.name] = tensor;
  }
  for (const name of session.inputNames) {
    if (!(name in feeds)) throw new BadRequest(`missing input ${name}`);
  }
  let fetches = session.outputNames;
  if (req.outputs !== undefined) {
    if (!Array.isArray(req.outputs) || !req.outputs.every((o) => o && session.outputNames.includes(o.name))) {
      throw new BadRequest(`"outputs" must list outputs of the model: ${session.outputNames.join(', ')}`);
    }
    fetches = req.outputs.map((o) => o.name);
  }
  let results;
  try {
    results = await session.run(feeds, fetches);
  } catch (err) {
    // Inputs were checked for names and types; what is left (a wrong shape,
    // mostly) is still the request's fault.
    throw new BadRequest(`inference failed: ${err.message}`);
  }
  return { model_name: modelName, outputs: fetches.map((name) => outputFromTensor(name, results[name])) };
}

function send(res, status, obj) {
  const body = JSON.stringify(obj);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    const tooLarge = () => Object.assign(new Error(`request body over ${MAX_BODY_BYTES} bytes`), { status: 413 });
    if (Number(req.headers['content-length']) > MAX_BODY_BYTES) {
      req.resume(); // discard it
      reject(tooLarge());
      return;
    }
    const onData = (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        req.off('data', onData);
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks, size).toString('utf8')));
    req.on('error', reject);
  });
}

async function main() {
  const flags = parseFlags();
  const session = await ort.InferenceSession.create(flags.model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: flags.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  const inferPath = `/v2/models/${flags.name}/infer`;

  const server = http.createServer(async (req, res) => {
    const path = req.url.split('?', 1)[0];
    try {
      if (path === inferPath) {
        if (req.method !== 'POST') return send(res, 405, { error: 'use POST' });
        const body = await readBody(req);
        return send(res, 200, await infer(session, flags.name, body));
      }
      if (path === '/ping' || path === '/v2/health/live' || path === '/v2/health/ready') {
        if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, { error: 'use GET' });
        res.writeHead(200, { 'Content-Length': 0 });
        return res.end();
      }
      return send(res, 404, { error: `no route ${req.method} ${path}` });
    } catch (err) {
      if (err instanceof BadRequest) return send(res, 400, { error: err.message });
      if (err.status === 413) {
        res.setHeader('Connection', 'close');
        return send(res, 413, { error: err.message });
      }
      process.stderr.write(`server.js: ${req.method} ${path}: ${err.stack || err}\n`);
      if (!res.headersSent) send(res, 500, { error: err.message });
      else res.destroy();
    }
  });
  server.keepAliveTimeout = 65_000; // longer than typical client and load-generator idle times
  server.listen(flags.port, flags.host, () => {
    const { address, port } = server.address();
    process.stderr.write(
      `server.js: serving ${flags.model} as ${flags.name} on http://${address}:${port} ` +
        `(onnxruntime-node ${ort.env.versions.node}, ${flags.threads} intra-op thread(s))\n`,
    );
  });

  const stop = () => {
    server.close(() => session.release().finally(() => process.exit(0)));
    server.closeIdleConnections();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err) => {
  process.stderr.write(`server.js: ${err.stack || err}\n`);
  process.exit(1);
});
