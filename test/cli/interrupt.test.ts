/**
 * A training run stopped by Ctrl-C (SIGINT) or by the TERM a shutdown sends finishes its step,
 * saves a checkpoint where it stopped and exits; --resume then completes the run. A run killed
 * outright resumes from its last timed checkpoint (--checkpoint-every).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { parseCheckpoint } from '../../src/train/checkpoint.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../helpers.js';
import { CLI, runCli } from './cli-helpers.js';

function trainUntilSignal(args: string[], signal: NodeJS.Signals): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: repoRoot });
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      // Signal once the first epoch has ended, i.e. in the middle of the second.
      if (!sent && /epoch 1\/\d+:/.test(stderr)) {
        sent = true;
        child.kill(signal);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`train: ${signal} saves a checkpoint and exits; --resume completes the run`, async () => {
    const out = mkdtempSync(join(tmpdir(), 'mobilenet-interrupt-'));
    try {
      const args = ['train', '--dataset', 'sample', '--epochs', '3', '--batch', '16', '--seed', '2', '--out', out];
      const stopped = await trainUntilSignal(args, signal);
      assert.equal(stopped.code, 0, stopped.stderr);
      assert.match(stopped.stderr, /stopped at epoch 2, batch \d+; checkpoint saved/);
      assert.ok(existsSync(join(out, 'checkpoint.safetensors')));
      assert.ok(!existsSync(join(out, 'model.safetensors')), 'no final model from an interrupted run');
      const resumed = runCli([...args, '--resume'], { timeoutMs: 240_000 });
      assert.equal(resumed.status, 0, resumed.stderr);
      assert.match(resumed.stderr, /resuming from .* at epoch 2, batch \d+/);
      assert.match(resumed.stdout, /test accuracy/);
      assert.ok(existsSync(join(out, 'model.safetensors')));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
}

test('train: a killed run (SIGKILL: no chance to save) resumes from its last timed checkpoint to the weights of an uninterrupted run', async () => {
  const a = mkdtempSync(join(tmpdir(), 'mobilenet-kill-a-'));
  const b = mkdtempSync(join(tmpdir(), 'mobilenet-kill-b-'));
  const steps = 40; // inside the first epoch (62 batches of 16)
  const args = ['train', '--dataset', 'sample', '--epochs', '2', '--batch', '16', '--seed', '4'];
  const checkpoint = (dir: string) => parseCheckpoint(new Uint8Array(readFileSync(join(dir, 'checkpoint.safetensors'))), dir);
  try {
    const reference = runCli([...args, '--out', a, '--max-steps', String(steps), '--checkpoint-every', '0']);
    assert.equal(reference.status, 0, reference.stderr);
    // A checkpoint after every step (1e-5 minutes); killed once one shows batch ≥ 3.
    const child = spawn(process.execPath, [CLI, ...args, '--out', b, '--checkpoint-every', '0.00001'], { cwd: repoRoot, stdio: 'ignore' });
    const closed = new Promise((resolve) => child.on('close', resolve));
    for (let i = 0; i < 1200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      if (existsSync(join(b, 'checkpoint.safetensors')) && checkpoint(b).state.position.batch >= 3) break;
    }
    child.kill('SIGKILL');
    await closed;
    const done = checkpoint(b).state.position;
    assert.equal(done.epoch, 0);
    assert.ok(done.batch >= 3 && done.batch < steps, `killed at batch ${done.batch}: outside 3…${steps - 1}`);
    const resumed = runCli([...args, '--out', b, '--resume', '--max-steps', String(steps - done.batch), '--checkpoint-every', '0']);
    assert.equal(resumed.status, 0, resumed.stderr);
    const [pa, pb] = [checkpoint(a).params, checkpoint(b).params];
    assert.equal(pa.size, pb.size);
    for (const [name, t] of pa) assert.deepEqual(pb.get(name)!.data, t.data, `${name} differs`);
  } finally {
    rmSync(a, { recursive: true, force: true });
    rmSync(b, { recursive: true, force: true });
  }
});
