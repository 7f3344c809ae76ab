import type { Command } from 'commander';
import { listModels, listPretrained, summarize } from '../../index.js';
import { millions, textTable } from '../format.js';

export function registerModels(program: Command): void {
  program
    .command('models')
    .description('list the model presets (the published configurations) with their cost')
    .option('--pretrained', 'list the published weights mobilenet-ts can download instead')
    .option('--json', 'print a JSON array')
    .action((flags: { json?: boolean; pretrained?: boolean }) => {
      if (flags.pretrained) {
        const entries = listPretrained();
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(entries)}\n`);
          return;
        }
        const table = textTable(
          [{ header: 'id (use with --model)' }, { header: 'format' }, { header: 'preprocess' }, { header: 'top-1', align: 'right' }, { header: 'url' }],
          entries.map((e) => [e.id, e.format, e.preprocess, e.accuracy ? e.accuracy.top1.toFixed(1) : '', e.url]),
        );
        process.stdout.write(`${table}\n\nDownloaded once into the cache ($MOBILENET_CACHE, else $XDG_CACHE_HOME/mobilenet-ts or ~/.cache/mobilenet-ts); MOBILENET_OFFLINE=1 forbids downloads.\n`);
        return;
      }
      const rows = listModels().map((preset) => {
        const s = summarize(preset.name);
        return { ...preset, macs: s.totals.macs, params: s.totals.params.trainable };
      });
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(rows)}\n`);
        return;
      }
      const table = textTable(
        [
          { header: 'name' },
          { header: 'α', align: 'right' },
          { header: 'resolution', align: 'right' },
          { header: 'MACs', align: 'right' },
          { header: 'params', align: 'right' },
          { header: 'published as' },
        ],
        rows.map((r) => [r.name, String(r.alpha), String(r.resolution), millions(r.macs, 1), millions(r.params, 2), r.source]),
      );
      process.stdout.write(`${table}\n\nAny α and resolution work too: mobilenet summary mobilenet_v2 --alpha 0.6 --resolution 200\n`);
    });
}
