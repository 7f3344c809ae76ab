/**
 * A training run stopped by Ctrl-C (SIGINT) or by the TERM a shutdown sends finishes its step,
 * saves a checkpoint where it stopped and exits; --resume then completes the run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
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
