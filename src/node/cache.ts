/**
 * Where downloaded weights live, and how a file is checked against its published hash (Node-only).
 *
 * Cache folder: `$MOBILENET_CACHE` if set, else `$XDG_CACHE_HOME/mobilenet-ts` (when that is an
 * absolute path, as the XDG spec requires), else `~/.cache/mobilenet-ts`. A weight file sits at
 * `<cache>/<source>/<file name from the URL>`, e.g.
 * `~/.cache/mobilenet-ts/torchvision/mobilenet_v2-b0353104.pth`; a file put there by hand is used
 * as if it had been downloaded (after its hash checks, when one is known).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { MobileNetError } from '../errors.js';
import type { PretrainedEntry } from '../io/pretrained.js';

export const CACHE_ENV = 'MOBILENET_CACHE';
export const CACHE_FOLDER_NAME = 'mobilenet-ts';

/** The cache folder for this environment (see the module comment for the rule). */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const explicit = env[CACHE_ENV];
  if (explicit !== undefined && explicit.trim() !== '') return resolve(explicit);
  const xdg = env.XDG_CACHE_HOME;
  if (xdg !== undefined && xdg !== '' && isAbsolute(xdg)) return join(xdg, CACHE_FOLDER_NAME);
  return join(home, '.cache', CACHE_FOLDER_NAME);
}

/** The path a weight file has in the cache: `<cacheDir>/<source>/<fileName>`. */
export function cachedWeightsPath(entry: Pick<PretrainedEntry, 'source' | 'fileName'>, cacheDir: string = defaultCacheDir()): string {
  if (!/^[A-Za-z0-9._-]+$/.test(entry.fileName) || entry.fileName.startsWith('.')) {
    throw new MobileNetError('INVALID_ARGUMENT', `weights file name '${entry.fileName}' is not a plain file name`);
  }
  return join(resolve(cacheDir), entry.source, entry.fileName);
}

/** What a file's hash is checked against: the full sha256, or the published prefix of it. */
export interface ExpectedHash {
  sha256?: string;
  sha256Prefix?: string;
}

/** A short description of the expected hash for messages, or undefined when nothing is known. */
export function describeExpectedHash(expected: ExpectedHash): string | undefined {
  if (expected.sha256) return `sha256 ${expected.sha256.toLowerCase()}`;
  if (expected.sha256Prefix) return `sha256 starting with ${expected.sha256Prefix.toLowerCase()}`;
  return undefined;
}

/** True when a known hash is given and `digest` (hex) agrees with it; undefined when nothing is known. */
export function digestMatches(digest: string, expected: ExpectedHash): boolean | undefined {
  const hex = digest.toLowerCase();
  if (expected.sha256) return hex === expected.sha256.toLowerCase();
  if (expected.sha256Prefix) return hex.startsWith(expected.sha256Prefix.toLowerCase());
  return undefined;
}

/** The sha256 of a file, hex, read as a stream. */
export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch (error) {
    throw new MobileNetError('IO_ERROR', `cannot read '${path}': ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  return hash.digest('hex');
}
