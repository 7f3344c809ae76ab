/**
 * Atomic writes when the write fails: the previous file survives byte for byte, no temporary file
 * is left behind, and the message says why in words. A full disk is provoked without root through
 * a file-size limit (`ulimit -f`: the kernel refuses the write as it would on a full device; Node
 * ignores SIGXFSZ, so the write fails with EFBIG instead of killing the process).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeOutputFolder, writeFileAtomic } from '../../src/node/fs.js';
import { MobileNetError } from '../../src/errors.js';
import { repoRoot } from '../helpers.js';

const fsModule = join(repoRoot, 'dist', 'src', 'node', 'fs.js');

function assertIoError(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof MobileNetError && e.code === 'IO_ERROR' && pattern.test(e.message));
}

test('writeFileAtomic: a write cut short by a file-size limit keeps the previous file and leaves no temporary file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mobilenet-fs-'));
  try {
    const target = join(dir, 'checkpoint.safetensors');
    writeFileSync(target, 'the previous checkpoint');
    // 1 block (1,024 bytes) may be written; the new file is 64 KiB.
    const script = `import { writeFileAtomic } from ${JSON.stringify(fsModule)};
      try { writeFileAtomic(${JSON.stringify(target)}, new Uint8Array(65536).fill(7)); } catch (e) { console.log(e.code + ' ' + e.message); }`;
    const r = spawnSync('sh', ['-c', 'ulimit -f 1 && exec "$0" "$@"', process.execPath, '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(
      r.stdout.trim(),
      `IO_ERROR cannot write ${target}: the file would exceed the size limit this process may write (ulimit -f); the previous file is unchanged`,
    );
    assert.equal(readFileSync(target, 'utf8'), 'the previous checkpoint');
    assert.deepEqual(readdirSync(dir), ['checkpoint.safetensors'], 'no temporary file is left');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writeFileAtomic and makeOutputFolder: a missing folder and a file in the way are named as such', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mobilenet-fs-'));
  try {
    assertIoError(() => writeFileAtomic(join(dir, 'missing', 'out.json'), '{}'), /cannot write .*out\.json: the folder does not exist; nothing was written$/);
    writeFileSync(join(dir, 'file'), 'x');
    assertIoError(() => makeOutputFolder(join(dir, 'file')), /cannot create the output folder .*file: a file of that name is in the way$/);
    assertIoError(() => makeOutputFolder(join(dir, 'file', 'run')), /cannot create the output folder .*run: a part of the path is a file, not a folder$/);
    makeOutputFolder(join(dir, 'a', 'b'));
    writeFileAtomic(join(dir, 'a', 'b', 'out.json'), '{}');
    assert.equal(readFileSync(join(dir, 'a', 'b', 'out.json'), 'utf8'), '{}');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
