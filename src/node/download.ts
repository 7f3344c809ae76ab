/**
 * Download published weights into the cache, verifying their hash (Node-only).
 *
 * `fetchPretrained(entry)` returns the cached file's path when it is there (and its hash checks,
 * when a hash is known); otherwise it downloads with the global `fetch` (injectable), hashing the
 * bytes as they stream into a temporary file in the same folder (`.<name>.<pid>.<random>.part`),
 * and renames that file to its final name only after the size and hash check. On any failure, an
 * abort, Ctrl-C (SIGINT) or SIGTERM, the temporary file is deleted: a partial file never appears
 * under the final name. Failures throw NETWORK_ERROR with the URL and the exact path where the
 * file can be put by hand.
 */
import { randomBytes, createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Presets, SingleBar } from 'cli-progress';
import { MobileNetError } from '../errors.js';
import type { PretrainedEntry } from '../io/pretrained.js';
import { errorCode, fsErrorReason } from './fs.js';
import {
  cachedWeightsPath,
  defaultCacheDir,
  describeExpectedHash,
  digestMatches,
  sha256OfFile,
  type ExpectedHash,
} from './cache.js';

/** The subset of the global `fetch` that downloads use. */
export type FetchLike = (url: string, init?: { signal?: AbortSignal; redirect?: 'follow' }) => Promise<Response>;

export interface DownloadOptions {
  /** Show a progress bar on stderr (only when stderr is a terminal). Default false. */
  progress?: boolean;
  /** Replaces the global fetch (tests, proxies). */
  fetchImpl?: FetchLike;
  /** Cancels the download; the temporary file is removed. */
  signal?: AbortSignal;
  /**
   * On SIGINT/SIGTERM: stop, delete the temporary file, then re-raise the signal if no other
   * listener handles it (so Ctrl-C still ends the process). Default true.
   */
  handleSignals?: boolean;
  /** Never touch the network: a download is an error. Default: $MOBILENET_OFFLINE is set (and not 0). */
  offline?: boolean;
}

export interface FetchPretrainedOptions extends DownloadOptions {
  /** Default: `defaultCacheDir()` ($MOBILENET_CACHE, $XDG_CACHE_HOME/mobilenet-ts, ~/.cache/mobilenet-ts). */
  cacheDir?: string;
  /** Download again even when a verified file is cached. */
  force?: boolean;
}

function isOffline(options: DownloadOptions): boolean {
  return options.offline ?? (process.env['MOBILENET_OFFLINE'] !== undefined && process.env['MOBILENET_OFFLINE'] !== '0');
}

export interface DownloadTarget extends ExpectedHash {
  url: string;
  /** The final path; its folder is created if needed. */
  path: string;
  /** Exact size in bytes, when known. */
  size?: number;
}

export interface DownloadResult {
  path: string;
  sha256: string;
  bytes: number;
}

function reasonOf(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    const causeText = cause instanceof Error ? `: ${cause.message}` : '';
    return `${error.message}${causeText}`;
  }
  return String(error);
}

function manualHint(target: DownloadTarget): string {
  const hash = describeExpectedHash(target);
  return `download it yourself from ${target.url} and save it as ${target.path}${hash ? ` (its ${hash})` : ''}`;
}

function networkError(target: DownloadTarget, reason: string, cause?: unknown): MobileNetError {
  return new MobileNetError(
    'NETWORK_ERROR',
    `could not download ${target.url}: ${reason}; ${manualHint(target)}`,
    cause === undefined ? undefined : { cause },
  );
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

function formatMB(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

interface Progress {
  update(bytes: number): void;
  stop(): void;
}

function startProgress(enabled: boolean, label: string, total: number | undefined): Progress {
  if (!enabled || !process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new SingleBar(
    {
      stream: process.stderr,
      format: total
        ? `${label} [{bar}] {percentage}% | {doneMB}/{totalMB} MB | ETA {eta}s`
        : `${label} {doneMB} MB`,
      hideCursor: true,
      clearOnComplete: false,
    },
    Presets.shades_classic,
  );
  bar.start(total ?? 1, 0, { doneMB: formatMB(0), totalMB: total ? formatMB(total) : '?' });
  return {
    update(bytes) {
      bar.update(total ? bytes : 0, { doneMB: formatMB(bytes) });
    },
    stop() {
      bar.stop();
    },
  };
}

/**
 * Download `target.url` to `target.path` atomically: stream into a temporary file next to it while
 * hashing, check size and hash, then rename. Throws NETWORK_ERROR (with the URL and the manual
 * path) on HTTP errors, network failures, truncation, hash mismatch and aborts; the temporary file
 * is always removed.
 */
export async function downloadFile(target: DownloadTarget, options: DownloadOptions = {}): Promise<DownloadResult> {
  if (isOffline(options)) throw networkError(target, 'offline (MOBILENET_OFFLINE is set)');
  const fetchImpl: FetchLike | undefined = options.fetchImpl ?? (globalThis.fetch as FetchLike | undefined);
  if (typeof fetchImpl !== 'function') throw networkError(target, 'no fetch implementation is available (Node ≥ 18 has one)');
  const folder = dirname(target.path);
  try {
    await mkdir(folder, { recursive: true });
  } catch (error) {
    throw new MobileNetError('IO_ERROR', `cannot create the cache folder ${folder}: ${reasonOf(error)}`, { cause: error });
  }
  const temp = join(folder, `.${basename(target.path)}.${process.pid}.${randomBytes(4).toString('hex')}.part`);

  // One controller for the caller's signal and for SIGINT/SIGTERM.
  const controller = new AbortController();
  let interruptedBy: NodeJS.Signals | undefined;
  const onCallerAbort = (): void => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) onCallerAbort();
  options.signal?.addEventListener('abort', onCallerAbort, { once: true });
  const onSignal = (signal: NodeJS.Signals): void => {
    interruptedBy = signal;
    controller.abort(new Error(`interrupted by ${signal}`));
  };
  const removeTempSync = (): void => rmSync(temp, { force: true });
  const handleSignals = options.handleSignals ?? true;
  if (handleSignals) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  process.once('exit', removeTempSync);

  let progress: Progress | undefined;
  let renamed = false;
  try {
    let response: Response;
    try {
      response = await fetchImpl(target.url, { signal: controller.signal, redirect: 'follow' });
    } catch (error) {
      if (controller.signal.aborted) throw networkError(target, interruptedBy ? `interrupted by ${interruptedBy}` : 'aborted', error);
      throw networkError(target, `network error (${reasonOf(error)}); are you offline?`, error);
    }
    if (!response.ok) {
      throw networkError(target, `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
    }
    if (!response.body) throw networkError(target, 'the response has no body');
    // content-length counts encoded bytes: only trust it when the body is not content-encoded.
    const encoding = response.headers.get('content-encoding');
    const header = Number(response.headers.get('content-length'));
    const headerBytes = (!encoding || encoding === 'identity') && Number.isSafeInteger(header) && header > 0 ? header : undefined;
    const expectedBytes = headerBytes ?? target.size;
    progress = startProgress(options.progress ?? false, basename(target.path), expectedBytes);

    const hash = createHash('sha256');
    let bytes = 0;
    const file = await open(temp, 'wx');
    try {
      const reader = response.body.getReader();
      const onAbort = (): void => {
        reader.cancel(controller.signal.reason).catch(() => {});
      };
      controller.signal.addEventListener('abort', onAbort, { once: true });
      try {
        for (;;) {
          const chunk = await reader.read().catch((error: unknown) => {
            if (controller.signal.aborted) throw error;
            throw networkError(target, `the connection failed after ${bytes} bytes (${reasonOf(error)})`, error);
          });
          if (controller.signal.aborted) throw controller.signal.reason ?? new Error('aborted');
          if (chunk.done) break;
          const data = chunk.value;
          hash.update(data);
          await file.write(data);
          bytes += data.length;
          progress.update(bytes);
        }
      } finally {
        controller.signal.removeEventListener('abort', onAbort);
      }
      await file.sync();
    } finally {
      await file.close();
    }
    progress.stop();
    progress = undefined;

    const digest = hash.digest('hex');
    if (expectedBytes !== undefined && bytes !== expectedBytes) {
      throw networkError(target, `received ${bytes} bytes, expected ${expectedBytes} (${bytes < expectedBytes ? 'the transfer was cut short' : 'more data than announced'})`);
    }
    if (target.size !== undefined && bytes !== target.size) {
      throw networkError(target, `the file has ${bytes} bytes, expected ${target.size}`);
    }
    if (digestMatches(digest, target) === false) {
      throw networkError(target, `hash mismatch: expected ${describeExpectedHash(target)!}, found sha256 ${digest}`);
    }
    await rename(temp, target.path);
    renamed = true;
    return { path: target.path, sha256: digest, bytes };
  } catch (error) {
    if (error instanceof MobileNetError) throw error;
    if (controller.signal.aborted || isAbort(error)) {
      throw networkError(target, interruptedBy ? `interrupted by ${interruptedBy}` : 'aborted', error);
    }
    if (errorCode(error) !== undefined) {
      throw new MobileNetError('IO_ERROR', `cannot write ${temp} while downloading ${target.url}: ${fsErrorReason(error)}`, { cause: error });
    }
    throw networkError(target, reasonOf(error), error);
  } finally {
    progress?.stop();
    if (!renamed) await rm(temp, { force: true }).catch(() => {});
    process.removeListener('exit', removeTempSync);
    options.signal?.removeEventListener('abort', onCallerAbort);
    if (handleSignals) {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      // The user asked the process to stop. When nobody else listens for the signal, Node's default
      // action (ending the process) was only held back by our listener: re-raise it now that the
      // temporary file is gone. An application with its own listener has already been told.
      if (interruptedBy && process.listenerCount(interruptedBy) === 0) process.kill(process.pid, interruptedBy);
    }
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return false;
    throw new MobileNetError('IO_ERROR', `cannot look at ${path}: ${fsErrorReason(error)}`, { cause: error });
  }
}

/**
 * The local path of a registry entry's file: the cached copy when present and verified, otherwise
 * a fresh download into the cache (see `downloadFile`).
 */
export async function fetchPretrained(entry: PretrainedEntry, options: FetchPretrainedOptions = {}): Promise<string> {
  const path = cachedWeightsPath(entry, options.cacheDir ?? defaultCacheDir());
  const target: DownloadTarget = {
    url: entry.url,
    path,
    ...(entry.sha256 !== undefined ? { sha256: entry.sha256 } : {}),
    ...(entry.sha256Prefix !== undefined ? { sha256Prefix: entry.sha256Prefix } : {}),
    ...(entry.size !== undefined ? { size: entry.size } : {}),
  };
  let staleNote = '';
  if (!options.force && (await isFile(path))) {
    const known = describeExpectedHash(target);
    if (known === undefined && target.size === undefined) return path;
    const digest = known === undefined ? undefined : await sha256OfFile(path);
    const sizeOk = target.size === undefined || (await stat(path)).size === target.size;
    if (sizeOk && (digest === undefined || digestMatches(digest, target))) return path;
    staleNote = digest !== undefined ? ` (the cached file has sha256 ${digest}, expected ${known!})` : ' (the cached file has the wrong size)';
  }
  if (isOffline(options)) throw networkError(target, `offline (MOBILENET_OFFLINE is set) and not in the cache${staleNote}`);
  try {
    return (await downloadFile(target, options)).path;
  } catch (error) {
    if (error instanceof MobileNetError && staleNote) {
      throw new MobileNetError(error.code, `${error.message}${staleNote}`, { cause: error });
    }
    throw error;
  }
}
