// ort_run.js runs ONNX models in ONNX Runtime (onnxruntime-node) for
// featlearn's tests.
//
//   node ort_run.js JOBS.json
//
// JOBS.json is {"ort": DIR, "jobs": [{"model": M, "input": IN, "dims": [N, ...],
// "type": "float32" | "float64", "output": OUT}, ...]}: DIR holds
// node_modules/onnxruntime-node; IN holds the input as raw little-endian
// values; each job's first output is written to OUT the same way. It prints
// one JSON line, {"outputs": [{"name": ..., "dims": [...], "inputName": ...}, ...]}.
'use strict';
const fs = require('fs');
const path = require('path');

async function main() {
  const spec = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const ort = require(path.join(spec.ort, 'node_modules', 'onnxruntime-node'));
  const outputs = [];
  for (const job of spec.jobs) {
    const session = await ort.InferenceSession.create(job.model, { executionProviders: ['cpu'] });
    const buf = fs.readFileSync(job.input);
    const f64 = job.type === 'float64';
    const data = f64
      ? new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8)
      : new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    const feeds = {};
    feeds[session.inputNames[0]] = new ort.Tensor(f64 ? 'float64' : 'float32', data, job.dims);
    const result = await session.run(feeds);
    const name = session.outputNames[0];
    const out = result[name];
    fs.writeFileSync(job.output, Buffer.from(out.data.buffer, out.data.byteOffset, out.data.byteLength));
    outputs.push({ name: name, dims: out.dims.map(Number), inputName: session.inputNames[0] });
    await session.release();
  }
  process.stdout.write(JSON.stringify({ outputs: outputs }) + '\n');
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err) + '\n');
  process.exit(1);
});
