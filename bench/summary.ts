/**
 * Wall time of `mobilenet summary <preset> --json` for every preset, as a user runs it (a new Node
 * process each time, so start-up is included). Prints the median and the worst preset.
 * Run: npm run bench:summary
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { listModels } from '../src/index.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');
const times: Array<{ name: string; ms: number }> = [];
for (const preset of listModels()) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [cli, 'summary', preset.name, '--json'], { encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${preset.name}: ${r.stderr}`);
  times.push({ name: preset.name, ms });
}
times.sort((a, b) => a.ms - b.ms);
const median = times[Math.floor(times.length / 2)]!;
const worst = times.at(-1)!;
console.log(`mobilenet summary, ${times.length} presets, one process each (start-up included)`);
console.log(`median ${median.ms.toFixed(0)} ms, fastest ${times[0]!.ms.toFixed(0)} ms, slowest ${worst.ms.toFixed(0)} ms (${worst.name})`);
