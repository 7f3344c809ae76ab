/** classify, embed, predict and convert: the inference commands. */
import type { Command } from 'commander';
import { basename, extname } from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MobileNetError, parseNpy, serializeNpy, permute, type MobileNet, type ModelOptions } from '../../index.js';
import { classifyImages, embedImages, loadModel, readFileBytes, writeFileAtomic, type LoadModelOptions } from '../../node/index.js';
import { UsageError } from '../errors.js';
import { modelOptionsFromFlags, parseChoice, parseInteger, type RawModelFlags } from '../options.js';

interface ModelFlags extends RawModelFlags {
  model?: string;
  weights?: string;
  backend?: string;
  threads?: string;
}

function addModelFlags(command: Command, modelRequired: boolean): Command {
  if (modelRequired) {
    command.option('--model <name|file>', 'a weights file (.safetensors, .onnx, .pth, .h5), published weights (mobilenet models --pretrained), or a model name used with --weights (default: the bundled Fashion-MNIST model)');
  }
  return command
    .option('--weights <file>', 'weights for the model named by --model (.pth, .h5, .safetensors)')
    .option('--alpha <A>', 'width multiplier (inferred from .pth/.h5 weights when absent)')
    .option('--resolution <R>', 'input size: an integer ≥ 32, or HxW')
    .option('--classes <N>', 'classifier outputs (taken from the weights when absent)')
    .option('--convention <name>', 'torchvision | keras | slim (default: the weights file\'s source)')
    .option('--backend <name>', 'wasm (WebAssembly SIMD) or ref (the reference kernels)', 'wasm')
    .option('--threads <n>', 'wasm: threads (default: one per core)');
}

/** The model trained by this project on Fashion-MNIST, shipped in the package (models/). */
export const BUNDLED_MODEL = fileURLToPath(new URL('../../../../models/fashion-mnist.safetensors', import.meta.url));

async function modelFromFlags(source: string | undefined, flags: ModelFlags, extra: ModelOptions = {}): Promise<MobileNet> {
  if (!source) {
    if (flags.weights) throw new UsageError('--weights needs --model <name> to say which architecture the weights are for');
    if (!existsSync(BUNDLED_MODEL)) throw new UsageError(`no --model given and the bundled model is missing (${BUNDLED_MODEL}); pass --model <file|name>`);
    source = BUNDLED_MODEL;
  }
  const options: LoadModelOptions = { options: { ...extra, ...modelOptionsFromFlags(flags) } };
  if (flags.weights) options.weights = flags.weights;
  options.backend = parseChoice('--backend', flags.backend ?? 'wasm', ['wasm', 'ref'] as const);
  if (flags.threads !== undefined) options.threads = parseInteger('--threads', flags.threads, 1);
  return loadModel(source, options);
}

function checkImages(images: string[]): void {
  if (images.length === 0) throw new UsageError('no images given');
}

export function registerInference(program: Command): void {
  addModelFlags(
    program
      .command('classify')
      .description('classify images: top-k labels with probabilities')
      .argument('<images...>', 'JPEG, PNG or WebP files'),
    true,
  )
    .option('--top <k>', 'how many classes to print per image', '5')
    .option('--json', 'print a JSON array: [{ file, predictions: [{ label, index, score }] }]')
    .action(async (images: string[], flags: ModelFlags & { top: string; json?: boolean }) => {
      checkImages(images);
      const top = parseInteger('--top', flags.top, 1);
      const model = await modelFromFlags(flags.model, flags);
      const results = await classifyImages(model, images, top);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(images.map((file, i) => ({ file, predictions: results[i] })))}\n`);
        return;
      }
      const lines: string[] = [];
      images.forEach((file, i) => {
        const [best, ...rest] = results[i]!;
        lines.push(`${file}: ${best!.label} (${(best!.score * 100).toFixed(1)}%)`);
        for (const r of rest) lines.push(`    ${r.label} (${(r.score * 100).toFixed(1)}%)`);
      });
      process.stdout.write(`${lines.join('\n')}\n`);
    });

  addModelFlags(
    program
      .command('embed')
      .description('pooled feature vectors of images, one row per image')
      .argument('<images...>', 'JPEG, PNG or WebP files'),
    true,
  )
    .option('--output <file.npy>', 'write an (N, C) float32 .npy file instead of printing JSON')
    .action(async (images: string[], flags: ModelFlags & { output?: string }) => {
      checkImages(images);
      const model = await modelFromFlags(flags.model, flags);
      const embedding = await embedImages(model, images);
      if (flags.output) {
        writeFileAtomic(flags.output, serializeNpy(embedding));
        process.stderr.write(`wrote ${flags.output}: ${embedding.shape.join(' × ')} float32\n`);
        return;
      }
      const [n, c] = embedding.shape as [number, number];
      const rows = Array.from({ length: n }, (_, i) => Array.from(embedding.data.subarray(i * c, (i + 1) * c)));
      process.stdout.write(`${JSON.stringify(images.map((file, i) => ({ file, embedding: rows[i] })))}\n`);
    });

  addModelFlags(
    program
      .command('predict')
      .description('raw logits for a preprocessed input tensor (.npy in, .npy out): interchange with Python')
      .argument('<model>', 'a weights file, or a model name (mobilenet_v2, mobilenet_v1_0.25_128, …) with --weights'),
    false,
  )
    .requiredOption('--input <x.npy>', 'float32 input, (N, H, W, 3) or with --layout nchw (N, 3, H, W)')
    .requiredOption('--output <y.npy>', 'where to write the (N, classes) float32 logits')
    .option('--layout <layout>', 'nhwc | nchw', 'nhwc')
    .action(async (source: string, flags: ModelFlags & { input: string; output: string; layout: string }) => {
      const layout = parseChoice('--layout', flags.layout, ['nhwc', 'nchw'] as const);
      const input = parseNpy(readFileBytes(flags.input));
      if (input.dtype !== 'float32') throw new MobileNetError('SHAPE_MISMATCH', `${flags.input}: expected float32, found ${input.dtype}`);
      const s = input.shape;
      const channels = layout === 'nhwc' ? s[3] : s[1];
      if (s.length !== 4 || channels !== 3) {
        const expected = layout === 'nhwc' ? '(N, H, W, 3)' : '(N, 3, H, W)';
        throw new MobileNetError('SHAPE_MISMATCH', `${flags.input}: expected ${expected} for --layout ${layout}, found (${s.join(', ')})`);
      }
      const [h, w] = layout === 'nhwc' ? [s[1]!, s[2]!] : [s[2]!, s[3]!];
      // The input's size is the resolution unless given: .pth/.h5 weights do not record it.
      const extra: ModelOptions = flags.resolution === undefined && !/_\d+$/.test(source) ? { resolution: h === w ? h : { height: h, width: w } } : {};
      const model = await modelFromFlags(source, flags, extra);
      const [mh, mw] = model.inputShape as [number, number, number];
      if (mh !== h || mw !== w) {
        throw new MobileNetError('SHAPE_MISMATCH', `${flags.input}: the model takes ${mh}×${mw} images, the input is ${h}×${w}`);
      }
      const data = input.data as Float32Array;
      const nhwc = layout === 'nhwc' ? data : permute(data, s, [0, 2, 3, 1]).data;
      const result = model.run(nhwc);
      if (!result.logits) throw new MobileNetError('INVALID_ARGUMENT', `${model.graph.name} has no classifier`);
      writeFileAtomic(flags.output, serializeNpy(result.logits));
      process.stderr.write(`wrote ${flags.output}: ${result.logits.shape.join(' × ')} float32 logits\n`);
    });

  program
    .command('convert')
    .description('convert weights between formats: .pth / .h5 / .onnx / .safetensors → .safetensors / .onnx')
    .argument('<in>', 'a weights file')
    .argument('<out>', 'the output file; its extension (.safetensors or .onnx) picks the format')
    .option('--model <name>', 'the architecture, when it cannot be inferred from the weights')
    .option('--alpha <A>', 'width multiplier (inferred when absent)')
    .option('--resolution <R>', 'input size recorded in the output (default 224, or from a Keras file name)')
    .option('--classes <N>', 'classifier outputs (taken from the weights when absent)')
    .option('--convention <name>', "torchvision | keras | slim (default: the input's source)")
    .action(async (input: string, output: string, flags: RawModelFlags & { model?: string }) => {
      const to = extname(output).toLowerCase();
      if (to !== '.safetensors' && to !== '.onnx') {
        throw new UsageError(`the output must end in .safetensors or .onnx, got '${basename(output)}'`);
      }
      const options: LoadModelOptions = { options: modelOptionsFromFlags(flags) };
      const model = flags.model ? await loadModel(flags.model, { ...options, weights: input }) : await loadModel(input, options);
      writeFileAtomic(output, to === '.onnx' ? model.toOnnx() : model.toSafetensors());
      process.stderr.write(`wrote ${output}: ${model.graph.name}, ${model.weights.size} tensors\n`);
    });
}
