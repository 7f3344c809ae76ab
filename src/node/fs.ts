/**
 * File helpers for Node: reading with errors that name the path, and atomic writes (a temp file
 * in the same folder, renamed over the target only when complete), so that an interrupted or
 * failed write never leaves a half-written output under the final name.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { MobileNetError } from '../errors.js';

/** The `code` of a Node system error (ENOENT, ENOSPC, …), if it has one. */
export function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;
}

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'it is a directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
  EFBIG: 'the file would exceed the size limit this process may write (ulimit -f)',
  EROFS: 'the file system is read-only',
  EMFILE: 'too many open files',
};

/**
 * Why a file-system call failed, in words for an error message; `overrides` words a code for what
 * was asked (ENOENT is 'no such folder' when listing one).
 */
export function fsErrorReason(error: unknown, overrides: Readonly<Record<string, string>> = {}): string {
  const code = errorCode(error);
  const reason = code === undefined ? undefined : overrides[code] ?? REASONS[code];
  return reason ?? (error instanceof Error ? error.message : String(error));
}

export function readFileBytes(path: string): Uint8Array {
  try {
    const buffer = readFileSync(path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    throw new MobileNetError('IO_ERROR', `cannot read ${path}: ${fsErrorReason(error)}`, { cause: error });
  }
}

/** mkdir -p for a command's --out folder, with the reason in words when it cannot be made. */
export function makeOutputFolder(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    const why = fsErrorReason(error, { EEXIST: 'a file of that name is in the way', ENOTDIR: 'a part of the path is a file, not a folder' });
    throw new MobileNetError('IO_ERROR', `cannot create the output folder ${dir}: ${why}`, { cause: error });
  }
}

export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'wx');
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
  } catch (error) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        /* already failing */
      }
    }
    try {
      unlinkSync(temp);
    } catch {
      /* the temp file may not exist */
    }
    const why = fsErrorReason(error, { ENOENT: 'the folder does not exist' });
    throw new MobileNetError('IO_ERROR', `cannot write ${path}: ${why}; ${existsSync(path) ? 'the previous file is unchanged' : 'nothing was written'}`, { cause: error });
  }
}
