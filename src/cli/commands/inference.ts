/** classify, embed, predict and convert: the inference commands. */
import type { Command } from 'commander';
import { basename, extname } from 'node:path';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { MobileNetError, parseNpy, serializeNpy, type MobileNet, type ModelOptions } from '../../index.js';
import {
  IMAGE_CHUNK,
  classifyImageChunks,
  embedImageChunks,
  loadImageChunks,
  loadModel,
  predictLogits,
  readFileBytes,
  writeFileAtomic,
  type ImageFailure,
  type LoadModelOptions,
} from '../../node/index.js';
import { UsageError } from '../errors.js';
import { modelOptionsFromFlags, parseChoice, parseInteger, type RawModelFlags } from '../options.js';

interface ModelFlags extends RawModelFlags {
  model?: string;
  weights?: string;
  backend?: string;
  threads?: string;
  batch: string;
}

function addModelFlags(command: Command, modelRequired: boolean): Command {
  if (modelRequired) {
    command.option('--model <name|file>', 'a weights file (.safetensors, .onnx, .pth, .h5), published weights (mobilenet models --pretrained), or a model name used with --weights (default: the bundled Fashion-MNIST model)');
  }
  return command
    .option('--weights <file>', 'weights for a model given by name (.pth, .h5, .safetensors)')
    .option('--alpha <A>', 'width multiplier (inferred from .pth/.h5 weights when absent)')
    .option('--resolution <R>', 'input size: an integer ≥ 32, or HxW')
    .option('--classes <N>', 'classifier outputs (taken from the weights when absent)')
    .option('--convention <name>', 'torchvision | keras | slim (default: the weights file\'s source)')
    .option('--backend <name>', 'wasm (WebAssembly SIMD) or ref (the reference kernels)', 'wasm')
    .option('--threads <n>', 'wasm: threads (default: one per core)')
    .option('--batch <n>', 'images (predict: examples) run at a time: the engine\'s memory grows with this, not with their number', String(IMAGE_CHUNK));
}

/** The model trained by this project on Fashion-MNIST, shipped in the package (models/). */
export const BUNDLED_MODEL = fileURLToPath(new URL('../../../../models/fashion-mnist.safetensors', import.meta.url));

async function modelFromFlags(source: string | undefined, flags: ModelFlags, fallbackResolution?: ModelOptions['resolution']): Promise<MobileNet> {
  if (!source) {
    if (flags.weights) throw new UsageError('--weights needs --model <name> to say which architecture the weights are for');
    if (!existsSync(BUNDLED_MODEL)) throw new UsageError(`no --model given and the bundled model is missing (${BUNDLED_MODEL}); pass --model <file|name>`);
    source = BUNDLED_MODEL;
  }
  const options: LoadModelOptions = { options: modelOptionsFromFlags(flags) };
  if (fallbackResolution !== undefined) options.fallbackResolution = fallbackResolution;
  if (flags.weights) options.weights = flags.weights;
  options.backend = parseChoice('--backend', flags.backend ?? 'wasm', ['wasm', 'ref'] as const);
  if (flags.threads !== undefined) options.threads = parseInteger('--threads', flags.threads, 1);
  return loadModel(source, options);
}

function checkImages(images: string[]): void {
  if (images.length === 0) throw new UsageError('no images given');
}

/** Write, then wait while the pipe is full, so that results do not pile up in memory ahead of a slow reader. */
async function emit(stream: NodeJS.WriteStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

/** A bad file's own line on stderr, as it is met: the message names the file and the reason. */
function reportFailure(failure: ImageFailure, total: number): void {
  // A single image's error is the command's one line (failedImages), not said twice.
  if (total > 1) process.stderr.write(`mobilenet: ${failure.error.message}\n`);
}

/** The command's last word when some files were bad: exit 2 (the caller's input), after everything else. */
function failedImages(failed: readonly ImageFailure[], total: number, rest: string): MobileNetError {
  if (total === 1) return failed[0]!.error;
  const what = failed.length === total ? `none of the ${total} images could be read or decoded` : `${failed.length} of ${total} images could not be read or decoded`;
  return new MobileNetError(failed[0]!.error.code, `${what} (named above)${rest ? `; ${rest}` : ''}`);
}

const BAD_FILES_HELP = `
A file that cannot be read or decoded does not stop the others: each bad file gets a line on
stderr naming it and the reason, the other files' results are printed in input order, and the
command then exits with code 2.`;

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
    .addHelpText('after', BAD_FILES_HELP)
    .action(async (images: string[], flags: ModelFlags & { top: string; json?: boolean }) => {
      checkImages(images);
      const top = parseInteger('--top', flags.top, 1);
      const chunkSize = parseInteger('--batch', flags.batch, 1);
      const model = await modelFromFlags(flags.model, flags);
      const failed: ImageFailure[] = [];
      let printed = 0;
      if (flags.json) await emit(process.stdout, '[');
      for await (const outcomes of classifyImageChunks(model, images, { topK: top, chunkSize })) {
        let text = '';
        for (const o of outcomes) {
          if (o.error) {
            failed.push(o);
            reportFailure(o, images.length);
          } else if (flags.json) {
            text += `${printed++ > 0 ? ',' : ''}${JSON.stringify({ file: o.file, predictions: o.result })}`;
          } else {
            const [best, ...rest] = o.result;
            text += `${o.file}: ${best!.label} (${(best!.score * 100).toFixed(1)}%)\n`;
            for (const r of rest) text += `    ${r.label} (${(r.score * 100).toFixed(1)}%)\n`;
          }
        }
        await emit(process.stdout, text);
      }
      if (flags.json) await emit(process.stdout, ']\n');
      if (failed.length > 0) throw failedImages(failed, images.length, failed.length < images.length ? `the other ${images.length - failed.length} are classified above` : '');
    });

  addModelFlags(
    program
      .command('embed')
      .description('pooled feature vectors of images, one row per image')
      .argument('<images...>', 'JPEG, PNG or WebP files'),
    true,
  )
    .option('--output <file.npy>', 'write an (N, C) float32 .npy file instead of printing JSON')
    .addHelpText(
      'after',
      `
Without --output, a file that cannot be read or decoded does not stop the others: each bad file
gets a line on stderr naming it and the reason, the other files' rows are printed in input order
(each names its file), and the command then exits with code 2.
With --output, row i of the .npy is image i, so a bad file means nothing is written: every bad
file is named on stderr (once one is found the rest are only decoded, not run) and the command
exits with code 2.`,
    )
    .action(async (images: string[], flags: ModelFlags & { output?: string }) => {
      checkImages(images);
      const chunkSize = parseInteger('--batch', flags.batch, 1);
      const model = await modelFromFlags(flags.model, flags);
      const failed: ImageFailure[] = [];
      if (flags.output) {
        let rows: Float32Array | undefined;
        let c = 0;
        for await (const chunk of loadImageChunks(model, images, { chunkSize })) {
          for (const f of chunk.failed) reportFailure(f, images.length);
          failed.push(...chunk.failed);
          // Nothing will be written once a file is bad: the rest are only decoded, to name every bad file.
          if (failed.length > 0) continue;
          const embedding = model.embed(chunk.batch);
          c = embedding.shape[1]!;
          rows ??= new Float32Array(images.length * c);
          rows.set(embedding.data, chunk.start * c);
        }
        if (failed.length > 0) throw failedImages(failed, images.length, `nothing written to ${flags.output}`);
        writeFileAtomic(flags.output, serializeNpy({ dtype: 'float32', shape: [images.length, c], data: rows! }));
        process.stderr.write(`wrote ${flags.output}: ${images.length} × ${c} float32\n`);
        return;
      }
      let printed = 0;
      await emit(process.stdout, '[');
      for await (const outcomes of embedImageChunks(model, images, { chunkSize })) {
        let text = '';
        for (const o of outcomes) {
          if (o.error) {
            failed.push(o);
            reportFailure(o, images.length);
          } else {
            text += `${printed++ > 0 ? ',' : ''}${JSON.stringify({ file: o.file, embedding: Array.from(o.result) })}`;
          }
        }
        await emit(process.stdout, text);
      }
      await emit(process.stdout, ']\n');
      if (failed.length > 0) throw failedImages(failed, images.length, failed.length < images.length ? `the rows of the other ${images.length - failed.length} are printed above` : '');
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
    .addHelpText(
      'after',
      `
The model's input size: --resolution, else what the file or the model name records (safetensors
and ONNX files, mobilenet_v2_0.35_96, a keras-applications .h5 name), else (a .pth, another .h5)
the input's H×W. An input of another size than the model's is refused, naming both.`,
    )
    .action(async (source: string, flags: ModelFlags & { input: string; output: string; layout: string }) => {
      const layout = parseChoice('--layout', flags.layout, ['nhwc', 'nchw'] as const);
      const chunkSize = parseInteger('--batch', flags.batch, 1);
      const input = parseNpy(readFileBytes(flags.input));
      if (input.dtype !== 'float32') throw new MobileNetError('SHAPE_MISMATCH', `${flags.input}: expected float32, found ${input.dtype}`);
      const s = input.shape;
      const channels = layout === 'nhwc' ? s[3] : s[1];
      if (s.length !== 4 || channels !== 3) {
        const expected = layout === 'nhwc' ? '(N, H, W, 3)' : '(N, 3, H, W)';
        throw new MobileNetError('SHAPE_MISMATCH', `${flags.input}: expected ${expected} for --layout ${layout}, found (${s.join(', ')})`);
      }
      const [h, w] = layout === 'nhwc' ? [s[1]!, s[2]!] : [s[2]!, s[3]!];
      // Weights that record no input size (.pth, most .h5) take the input's; a file or name that
      // records one keeps it, and an input of another size is refused below.
      const model = await modelFromFlags(source, flags, h === w ? h : { height: h, width: w });
      const [mh, mw] = model.inputShape as [number, number, number];
      if (mh !== h || mw !== w) {
        throw new MobileNetError('SHAPE_MISMATCH', `${flags.input}: the model takes ${mh}×${mw} images, the input is ${h}×${w}`);
      }
      const logits = predictLogits(model, input.data as Float32Array, { layout, chunkSize });
      writeFileAtomic(flags.output, serializeNpy(logits));
      process.stderr.write(`wrote ${flags.output}: ${logits.shape.join(' × ')} float32 logits\n`);
    });

  program
    .command('convert')
    .description('convert weights between formats: .pth / .h5 / .safetensors → .safetensors / .onnx; .onnx → .onnx (an ONNX graph has no architecture to write as safetensors)')
    .argument('<in>', 'a weights file')
    .argument('<out>', 'the output file; its extension (.safetensors or .onnx) picks the format')
    .option('--model <name>', 'the architecture, when it cannot be inferred from the weights')
    .option('--alpha <A>', 'width multiplier (inferred when absent)')
    .option('--resolution <R>', 'input size recorded in the output (default 224, or from a keras-applications .h5 file name)')
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
