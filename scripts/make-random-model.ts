/**
 * `npm run make:random-model`: a random-weight model folder with a real model's shapes, for
 * benchmarks (never committed). Writes config.json, tokenizer.json, tokenizer_config.json and
 * model.safetensors (sharded above --shard-size, with model.safetensors.index.json).
 *
 *   npm run make:random-model -- --preset qwen2.5-0.5b --out /tmp/qwen --dtype bfloat16
 *   npm run make:random-model -- --list
 */
import { parseArgs } from 'node:util';
import { MODEL_PRESETS } from './lib/model-presets';
import { type WeightDtype, writeRandomModelFolder } from './lib/random-model-folder';

const { values: args } = parseArgs({
  options: {
    preset: { type: 'string' },
    out: { type: 'string' },
    dtype: { type: 'string', default: 'float32' },
    seed: { type: 'string', default: '0' },
    std: { type: 'string', default: '0.02' },
    'shard-size': { type: 'string', default: '5GB' },
    list: { type: 'boolean', default: false },
  },
});

const presets = Object.keys(MODEL_PRESETS).join(', ');
if (args.list) {
  console.log(presets);
  process.exit(0);
}
const fail = (message: string): never => {
  console.error(`make:random-model: ${message}`);
  process.exit(1);
};
const preset = args.preset ?? fail(`--preset is required (one of ${presets})`);
const config = MODEL_PRESETS[preset] ?? fail(`unknown preset "${preset}"; presets: ${presets}`);
const out = args.out ?? fail('--out FOLDER is required');
const dtype = args.dtype as WeightDtype;
if (!['float32', 'float16', 'bfloat16'].includes(dtype)) {
  fail(`--dtype "${args.dtype}" is not one of float32, float16, bfloat16`);
}
const units: Record<string, number> = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9 };
const size = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB)$/i.exec(args['shard-size']!);
if (!size) fail(`--shard-size "${args['shard-size']}" is not like 5GB, 500MB or 1000000B`);
const maxShardBytes = Number(size![1]) * units[size![2].toUpperCase()];

const start = performance.now();
const summary = await writeRandomModelFolder(out, config, {
  dtype,
  seed: Number(args.seed),
  std: Number(args.std),
  maxShardBytes,
});
const seconds = (performance.now() - start) / 1000;
console.log(
  `${preset}: ${summary.parameters.toLocaleString('en')} parameters in ${summary.tensors} ` +
    `tensors, ${(summary.tensorBytes / 1e9).toFixed(2)} GB of ${dtype}, ${seconds.toFixed(1)} s\n` +
    `  ${out}: ${summary.files.join(', ')}`,
);
