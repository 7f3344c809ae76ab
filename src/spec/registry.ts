/**
 * Model names in the TF-slim tables' form (`mobilenet_v1_0.75_160`, `mobilenet_v2_0.35_96`, or
 * with slim's short α `mobilenet_v2_035_96`) plus the bare `mobilenet_v1` / `mobilenet_v2`. The registry is plain data: nothing registers itself
 * at import time.
 */
import { MobileNetError } from '../errors.js';
import { mobilenetV1Spec } from './v1.js';
import { mobilenetV2Spec } from './v2.js';
import type { Arch, ModelOptions, ModelSpec } from './types.js';
import { describe } from './options.js';

export const ARCHS: readonly Arch[] = ['mobilenet_v1', 'mobilenet_v2'];

export interface ModelPreset {
  name: string;
  arch: Arch;
  alpha: number;
  resolution: number;
  /** Where the configuration is published. */
  source: string;
}

const V1_ALPHAS = [1.0, 0.75, 0.5, 0.25];
const V1_RESOLUTIONS = [224, 192, 160, 128];
const V2_ALPHAS = [1.4, 1.3, 1.0, 0.75, 0.5, 0.35];
const V2_RESOLUTIONS = [224, 192, 160, 128, 96];

/** `0.75` → "0.75", `1` → "1.0": the slim tables always print one decimal at least. */
export function formatAlpha(alpha: number): string {
  return Number.isInteger(alpha) ? alpha.toFixed(1) : String(alpha);
}

export function presetName(arch: Arch, alpha: number, resolution: number): string {
  return `${arch}_${formatAlpha(alpha)}_${resolution}`;
}

function buildPresets(): ModelPreset[] {
  const presets: ModelPreset[] = [];
  for (const alpha of V1_ALPHAS) {
    for (const resolution of V1_RESOLUTIONS) {
      presets.push({
        name: presetName('mobilenet_v1', alpha, resolution),
        arch: 'mobilenet_v1',
        alpha,
        resolution,
        source: 'TF-slim and Keras checkpoints',
      });
    }
  }
  for (const alpha of V2_ALPHAS) {
    for (const resolution of V2_RESOLUTIONS) {
      const slim = alpha <= 1 || resolution === 224;
      presets.push({
        name: presetName('mobilenet_v2', alpha, resolution),
        arch: 'mobilenet_v2',
        alpha,
        resolution,
        source: slim ? 'TF-slim and Keras checkpoints' : 'Keras checkpoints',
      });
    }
  }
  return presets;
}

const PRESETS: readonly ModelPreset[] = Object.freeze(buildPresets());

/** Every published configuration, V1 then V2, largest first. */
export function listModels(): ModelPreset[] {
  return PRESETS.map((p) => ({ ...p }));
}

export interface ParsedModelName {
  arch: Arch;
  alpha?: number;
  resolution?: number;
}

const NAME_PATTERN = /^(mobilenet_v[12])(?:_(\d+(?:\.\d+)?)_(\d+))?$/;

const ALPHA_SPELLINGS = 'α with a decimal point (mobilenet_v2_0.35_96, mobilenet_v1_1.0_224), as TF-slim\'s three digits in hundredths (mobilenet_v2_035_96, mobilenet_v2_140_224) or as one digit (mobilenet_v2_1_224)';

/**
 * The α of a name. With a decimal point it is what it says (0.35, 1.0, Keras' 1.00). Without one,
 * TF-slim's short names (mobilenet_v1_025/050/075, mobilenet_v2_035/050/075/100/130/140) write α in
 * hundredths with three digits, so three digits are hundredths: 035 → 0.35, 100 → 1.0, 140 → 1.4
 * (read as a whole number they would be a network 35 or 100 times as wide). One digit is the
 * whole number (mobilenet_v2_1_224). Two digits, or four and more, are refused rather than guessed:
 * 35 could be 0.35 or 35, 05 could be 0.5 or 0.05, 10 could be 1.0 or 10.
 */
function parseAlpha(text: string, name: string): number {
  if (text.includes('.') || text.length === 1) return Number(text);
  if (text.length === 3) return Number(text) / 100;
  throw new MobileNetError('UNKNOWN_MODEL', `model ${describe(name)}: α '${text}' is ambiguous; write ${ALPHA_SPELLINGS}`);
}

/**
 * Parse `mobilenet_v2`, `mobilenet_v2_0.35_96`, `mobilenet_v2_035_96`, … Any α and resolution in
 * that form are accepted (they are validated when the spec is built); `listModels()` names the
 * published ones.
 */
export function parseModelName(name: string): ParsedModelName {
  const match = typeof name === 'string' ? NAME_PATTERN.exec(name.trim().toLowerCase().replace(/-/g, '_')) : null;
  if (!match) {
    throw new MobileNetError(
      'UNKNOWN_MODEL',
      `unknown model ${describe(name)}; expected mobilenet_v1, mobilenet_v2 or a name like mobilenet_v2_0.35_96 (see 'mobilenet models')`,
    );
  }
  const arch = match[1] as Arch;
  if (match[2] === undefined) return { arch };
  return { arch, alpha: parseAlpha(match[2], name), resolution: Number(match[3]) };
}

/**
 * Build the spec of a named model. Options given explicitly must agree with the name's α and
 * resolution (a silent override would describe a different network than the name says).
 */
export function createSpec(name: string, options: ModelOptions = {}): ModelSpec {
  const parsed = parseModelName(name);
  const merged: ModelOptions = { ...options };
  if (parsed.alpha !== undefined) {
    if (options.alpha !== undefined && options.alpha !== parsed.alpha) {
      throw new MobileNetError('INVALID_ARGUMENT', `alpha ${options.alpha} contradicts the model name '${name}' (alpha ${parsed.alpha})`);
    }
    merged.alpha = parsed.alpha;
  }
  if (parsed.resolution !== undefined) {
    const r = options.resolution;
    if (r !== undefined && !(typeof r === 'number' ? r === parsed.resolution : r.height === parsed.resolution && r.width === parsed.resolution)) {
      throw new MobileNetError(
        'INVALID_ARGUMENT',
        `resolution ${describe(r)} contradicts the model name '${name}' (resolution ${parsed.resolution})`,
      );
    }
    merged.resolution = parsed.resolution;
  }
  return buildSpec(parsed.arch, merged);
}

export function buildSpec(arch: Arch, options: ModelOptions = {}): ModelSpec {
  return arch === 'mobilenet_v1' ? mobilenetV1Spec(options) : mobilenetV2Spec(options);
}

/** A stable name for a spec: the slim-style preset name, with a marker when options differ. */
export function specName(spec: ModelSpec): string {
  const size = spec.height === spec.width ? `${spec.height}` : `${spec.height}x${spec.width}`;
  return `${spec.arch}_${formatAlpha(spec.alpha)}_${size}`;
}
