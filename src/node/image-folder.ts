/**
 * Image-folder datasets from disk (Node-only): one sub-folder per class (class names = sub-folder
 * names, sorted by code point as Python's sorted() does); JPEG and PNG files anywhere under them
 * (symlinks followed, as torchvision's ImageFolder does) are decoded with sharp, converted to RGB
 * (or gray) and resized to one size.
 */
import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { MobileNetError } from '../errors.js';
import { ArrayDataset } from '../data/dataset.js';
import { resizeImage } from '../data/resize.js';
import { rgbToGray, type Interpolation } from '../data/preprocess.js';
import { decodeImage } from './image.js';
import { fsErrorReason } from './fs.js';

const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['.jpg', '.jpeg', '.png']);

export interface LoadImageFolderOptions {
  /** Resize every image to this size (square when a number). Default: the images' own size, which must then be the same for all. */
  size?: number | { height: number; width: number };
  /** Resampling filter; default 'bilinear' (Pillow-exact, see src/data/resize.ts). */
  interpolation?: Interpolation;
  /** 3 (RGB, default) or 1 (gray, ITU-R 601-2 luma as PIL's convert('L')). */
  channels?: 1 | 3;
  /** Skip images that fail to decode, and list them in `skipped`, instead of failing. Default false. */
  skipBad?: boolean;
}

export interface SkippedImage {
  path: string;
  reason: string;
}

/** An image-folder dataset: the file of every sample and the files that were skipped. */
export class ImageFolderDataset extends ArrayDataset {
  /** The file of each sample, in sample order (class by class, each class in loadImageFolder's walk order). */
  readonly files: readonly string[];
  readonly skipped: readonly SkippedImage[];

  constructor(init: ConstructorParameters<typeof ArrayDataset>[0] & { files: string[]; skipped: SkippedImage[] }) {
    super(init);
    this.files = Object.freeze([...init.files]);
    this.skipped = Object.freeze([...init.skipped]);
  }
}

/**
 * Code-point order, as Python's sorted() on str. JS's `<` compares UTF-16 units, where an astral
 * character's surrogates (D800–DFFF) sort before U+E000–U+FFFF; comparing the code points at the
 * first differing unit fixes that.
 */
function byCodePoint(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a.charCodeAt(i) !== b.charCodeAt(i)) return a.codePointAt(i)! - b.codePointAt(i)!;
  }
  return a.length - b.length;
}

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot).toLowerCase() : '';
}

const ACCEPTED_TEXT = `JPEG or PNG images (${[...IMAGE_EXTENSIONS].join(', ')})`;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

async function listDir(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (error) {
    const reason = fsErrorReason(error, { ENOENT: 'no such folder', ENOTDIR: 'not a folder' });
    throw new MobileNetError('IO_ERROR', `cannot read the image folder ${dir}: ${reason}`, { cause: error });
  }
}

/**
 * 'folder', 'file' or 'other' (a socket, a FIFO), following a symlink as torchvision does. A link
 * that cannot be followed counts as a file, so that reading it fails naming it.
 */
async function kindOf(dir: string, entry: Dirent): Promise<'folder' | 'file' | 'other'> {
  if (entry.isDirectory()) return 'folder';
  if (entry.isFile()) return 'file';
  if (!entry.isSymbolicLink()) return 'other';
  try {
    const target = await stat(join(dir, entry.name));
    return target.isDirectory() ? 'folder' : target.isFile() ? 'file' : 'other';
  } catch {
    return 'file';
  }
}

async function realFolder(dir: string): Promise<string> {
  try {
    return await realpath(dir);
  } catch (error) {
    throw new MobileNetError('IO_ERROR', `cannot read the image folder ${dir}: ${fsErrorReason(error, { ENOENT: 'no such folder' })}`, { cause: error });
  }
}

interface ClassFiles {
  /** JPEG/PNG paths in walk order. */
  images: string[];
  /** Other (non-hidden) files, in walk order. */
  others: string[];
}

/**
 * Every file under a class folder, in the order of torchvision's `sorted(os.walk(dir,
 * followlinks=True))`: folders sorted by path, the files of each sorted by name. `ancestors` are
 * the real paths of the folders being walked; a symlink back to one of them (a cycle) is not
 * followed again, which loses no file.
 */
async function walkClassFolder(dir: string, ancestors: ReadonlySet<string>): Promise<ClassFiles> {
  const folders: { path: string; names: string[] }[] = [];
  const visit = async (path: string, above: ReadonlySet<string>): Promise<void> => {
    const real = await realFolder(path);
    if (above.has(real)) return;
    const inside = new Set(above).add(real);
    const names: string[] = [];
    for (const entry of await listDir(path)) {
      if (entry.name.startsWith('.')) continue;
      const kind = await kindOf(path, entry);
      if (kind === 'folder') await visit(join(path, entry.name), inside);
      else if (kind === 'file') names.push(entry.name);
    }
    folders.push({ path, names: names.sort(byCodePoint) });
  };
  await visit(dir, ancestors);
  folders.sort((a, b) => byCodePoint(a.path, b.path));
  const files: ClassFiles = { images: [], others: [] };
  for (const { path, names } of folders) {
    for (const name of names) (IMAGE_EXTENSIONS.has(extensionOf(name)) ? files.images : files.others).push(join(path, name));
  }
  return files;
}

/** Throws when a class would have no samples; torchvision refuses these too ("Found no valid file for the classes …"). */
function refuseEmptyClasses(dir: string, classes: readonly string[], found: readonly ClassFiles[]): void {
  const images = found.reduce((n, f) => n + f.images.length, 0);
  const others = found.flatMap((f) => f.others);
  if (images === 0) {
    const what = others.length > 0 ? `found ${plural(others.length, 'other file')}, e.g. ${relative(dir, others[0]!)}` : 'and no other files';
    throw new MobileNetError('INVALID_ARGUMENT', `loadImageFolder: ${dir} has no ${ACCEPTED_TEXT} in its ${plural(classes.length, 'class folder')} (${what})`);
  }
  const empty = classes.flatMap((name, c) => (found[c]!.images.length === 0 ? [{ name, others: found[c]!.others }] : []));
  if (empty.length === 0) return;
  const shown = empty.slice(0, 5).map(({ name, others }) =>
    others.length === 0 ? `${name} (empty)` : `${name} (${plural(others.length, 'other file')}, e.g. ${relative(join(dir, name), others[0]!)})`,
  );
  if (empty.length > shown.length) shown.push(`and ${empty.length - shown.length} more`);
  const subject = empty.length === 1 ? `class folder of ${dir} has` : `class folders of ${dir} have`;
  throw new MobileNetError(
    'INVALID_ARGUMENT',
    `loadImageFolder: ${empty.length} ${subject} no ${ACCEPTED_TEXT}: ${shown.join(', ')}; every class needs at least one image: add some or remove the folder`,
  );
}

/** With skipBad, throws when every image of a class was skipped (the class would have no samples). */
function refuseSkippedClasses(dir: string, classes: readonly string[], found: readonly ClassFiles[], kept: readonly { label: number }[], skipped: readonly SkippedImage[]): void {
  const counts = new Array<number>(classes.length).fill(0);
  for (const k of kept) counts[k.label]!++;
  const emptyClasses = classes.flatMap((_, c) => (counts[c] === 0 ? [c] : []));
  if (emptyClasses.length === 0) return;
  const empty = emptyClasses.map((c) => `${classes[c]} (${plural(found[c]!.images.length, 'image')})`);
  const ofFirst = new Set(found[emptyClasses[0]!]!.images);
  const first = skipped.find((s) => ofFirst.has(s.path));
  const subject = empty.length === 1 ? `class folder ${empty[0]}` : `class folders ${empty.join(', ')}`;
  throw new MobileNetError(
    'INVALID_FORMAT',
    `loadImageFolder: every image of ${subject} in ${dir} was skipped as undecodable (skipBad), leaving the class${empty.length === 1 ? '' : 'es'} empty; first: ${first?.reason ?? '?'}`,
  );
}

/**
 * Load a folder laid out as `<dir>/<class name>/…/<image>.{jpg,jpeg,png}` into memory, as
 * torchvision's ImageFolder reads it: each class folder is walked recursively, so images in nested
 * folders count for their class, and symlinks to folders and files are followed (a link back to a
 * folder being walked is skipped). Samples come class by class; within a class, folders in path
 * order and each folder's files by name, all compared by code point (torchvision's
 * `sorted(os.walk(…))`). Hidden entries (starting with '.') and other files are ignored.
 *
 * Refused with INVALID_ARGUMENT, naming what was found: a folder without class folders, class
 * folders without any JPEG/PNG file, and any class folder without one (an untrainable class). A
 * file that does not decode throws INVALID_FORMAT naming it, or with `skipBad` is left out and
 * listed in `skipped`; a class left without images that way throws INVALID_FORMAT.
 */
export async function loadImageFolder(dir: string, options: LoadImageFolderOptions = {}): Promise<ImageFolderDataset> {
  const channels = options.channels ?? 3;
  if (channels !== 1 && channels !== 3) {
    throw new MobileNetError('INVALID_ARGUMENT', `loadImageFolder: channels must be 1 or 3, got ${String(channels)}`);
  }
  const interpolation = options.interpolation ?? 'bilinear';
  let size: { height: number; width: number } | undefined;
  if (options.size !== undefined) {
    const s = typeof options.size === 'number' ? { height: options.size, width: options.size } : options.size;
    for (const [value, what] of [
      [s?.height, 'height'],
      [s?.width, 'width'],
    ] as const) {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
        throw new MobileNetError('INVALID_ARGUMENT', `loadImageFolder: size ${what} must be a positive integer, got ${String(value)}`);
      }
    }
    size = { height: s.height, width: s.width };
  }

  const classes: string[] = [];
  const looseFiles: string[] = [];
  for (const entry of await listDir(dir)) {
    if (entry.name.startsWith('.')) continue;
    const kind = await kindOf(dir, entry);
    if (kind === 'folder') classes.push(entry.name);
    else if (kind === 'file') looseFiles.push(entry.name);
  }
  classes.sort(byCodePoint);
  if (classes.length === 0) {
    const found = looseFiles.length > 0 ? ` (found ${plural(looseFiles.length, 'file')} but no folders, e.g. ${looseFiles.sort(byCodePoint)[0]})` : '';
    throw new MobileNetError('INVALID_ARGUMENT', `loadImageFolder: ${dir} has no class sub-folders${found}; expected <dir>/<class name>/<image files>`);
  }
  if (classes.length > 256) {
    // Labels are stored as one byte per sample in IDX-style datasets; 256 is also plenty here.
    throw new MobileNetError('UNSUPPORTED', `loadImageFolder: ${dir} has ${classes.length} class folders; at most 256 are supported`);
  }

  const root = new Set([await realFolder(dir)]);
  const found: ClassFiles[] = [];
  for (const name of classes) found.push(await walkClassFolder(join(dir, name), root));
  refuseEmptyClasses(dir, classes, found);
  const files = found.flatMap((f) => f.images);
  const labels = found.flatMap((f, label) => f.images.map(() => label));

  const kept: { path: string; label: number; pixels: Uint8Array }[] = [];
  const skipped: SkippedImage[] = [];
  for (let i = 0; i < files.length; i++) {
    const path = files[i]!;
    let pixels: Uint8Array;
    try {
      const image = await decodeImage(path);
      if (size === undefined) size = { height: image.height, width: image.width };
      const rgb =
        image.height === size.height && image.width === size.width
          ? image.data
          : options.size !== undefined
            ? resizeImage(image.data, image.height, image.width, size.height, size.width, interpolation)
            : undefined;
      if (rgb === undefined) {
        throw new MobileNetError(
          'INVALID_ARGUMENT',
          `loadImageFolder: ${path} is ${image.width}×${image.height} but ${kept.length > 0 ? kept[0]!.path : 'the first image'} is ${size.width}×${size.height}; pass { size } to resize every image to one size`,
        );
      }
      pixels = channels === 3 ? rgb : rgbToGray(rgb);
    } catch (error) {
      if (options.skipBad && error instanceof MobileNetError && error.code === 'INVALID_FORMAT') {
        skipped.push({ path, reason: error.message });
        continue;
      }
      throw error;
    }
    kept.push({ path, label: labels[i]!, pixels });
  }
  refuseSkippedClasses(dir, classes, found, kept, skipped);

  const height = size?.height ?? 1;
  const width = size?.width ?? 1;
  const imageBytes = height * width * channels;
  const pixels = new Uint8Array(kept.length * imageBytes); // (N, H, W, C)
  kept.forEach((k, i) => pixels.set(k.pixels, i * imageBytes));
  return new ImageFolderDataset({
    pixels,
    labels: Uint8Array.from(kept, (k) => k.label),
    height,
    width,
    channels,
    classes,
    files: kept.map((k) => k.path),
    skipped,
  });
}
