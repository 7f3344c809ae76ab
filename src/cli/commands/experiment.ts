/** mobilenet experiment: the papers' experiments, with tables and plots. */
import type { Command } from 'commander';
import { manifoldExperiment, memoryTable } from '../../experiments/index.js';
import { panelGrid, barChart } from '../../plot/index.js';
import { writePlot } from '../../node/plot.js';
import { textTable } from '../format.js';
import { parseInteger } from '../options.js';
import { UsageError } from '../errors.js';

function parseDims(raw: string): number[] {
  const dims = raw.split(',').map((s) => Number(s.trim()));
  if (dims.length === 0 || dims.some((n) => !Number.isInteger(n) || n < 2)) throw new UsageError(`--dims must be a comma-separated list of integers ≥ 2, got '${raw}'`);
  return dims;
}

export function registerExperiments(program: Command): void {
  const experiment = program.command('experiment').description("rerun the papers' experiments: manifold, memory");

  experiment
    .command('manifold')
    .description('MobileNetV2 Figure 1: a 2-D spiral embedded in n dimensions, through ReLU, projected back')
    .option('--dims <list>', 'embedding dimensions', '2,3,5,15,30')
    .option('--points <m>', 'points on the spiral', '1000')
    .option('--trials <k>', 'random embeddings per n for the mean error', '20')
    .option('--seed <s>', 'seed', '0')
    .option('--out <file.png>', 'the figure (PNG or SVG)', 'manifold.png')
    .option('--json', 'print the errors as JSON instead of a table')
    .action(async (flags: { dims: string; points: string; trials: string; seed: string; out: string; json?: boolean }) => {
      const r = manifoldExperiment({
        dims: parseDims(flags.dims),
        points: parseInteger('--points', flags.points, 3),
        trials: parseInteger('--trials', flags.trials, 1),
        seed: parseInteger('--seed', flags.seed, 0),
      });
      const pts = (a: Float64Array): Array<[number, number]> => Array.from({ length: a.length / 2 }, (_, i) => [a[2 * i]!, a[2 * i + 1]!]);
      const colors = Array.from(r.position);
      const panels = [
        { title: 'Input', points: pts(r.spiral), colors },
        ...r.runs.map((run) => ({ title: `ReLU, n = ${run.n}`, points: pts(run.relu), colors })),
        { title: 'Identity (any n)', points: pts(r.runs.at(-1)!.linear), colors },
      ];
      await writePlot(flags.out, panelGrid({ title: 'ReLU of a 2-D spiral embedded in n dimensions, projected back (MobileNetV2 Fig. 1)', panels, columns: Math.min(4, panels.length) }));
      const rows = r.runs.map((run) => ({ n: run.n, reluError: run.reluError, reluErrorStd: run.reluErrorStd, reluRawError: run.reluRawError, linearError: run.linearError }));
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ options: r.options, figure: flags.out, runs: rows })}\n`);
        return;
      }
      process.stdout.write(
        `${textTable(
          [{ header: 'n', align: 'right' }, { header: 'ReLU error', align: 'right' }, { header: '± std', align: 'right' }, { header: 'raw error', align: 'right' }, { header: 'identity error', align: 'right' }],
          rows.map((x) => [String(x.n), x.reluError.toFixed(4), x.reluErrorStd.toFixed(4), x.reluRawError.toFixed(4), x.linearError.toExponential(1)]),
        )}\n\nerror = share of the spiral no linear map recovers from the projection (mean of ${r.options.trials} random embeddings); raw = ‖x̂ − x‖²/‖x‖².\nfigure: ${flags.out}\n`,
      );
    });

  experiment
    .command('memory')
    .description('MobileNetV2 Table 3: the largest tensor that must be materialized at each resolution, V1 vs V2, 16-bit')
    .option('--resolution <R>', 'input size', '224')
    .option('--out <file.png>', 'a bar chart (PNG or SVG)', 'memory.png')
    .option('--json', 'print JSON')
    .action(async (flags: { resolution: string; out: string; json?: boolean }) => {
      const table = await memoryTable(parseInteger('--resolution', flags.resolution, 32));
      await writePlot(flags.out, barChart({
        title: 'Largest tensor to materialize per resolution (16-bit), MobileNetV2 Table 3',
        xLabel: 'feature map size', yLabel: 'KB', logY: true,
        categories: table.rows.map((r) => r.size),
        series: [
          { name: 'MobileNetV1', values: table.rows.map((r) => r.v1Kb) },
          { name: 'MobileNetV2 (memory-efficient)', values: table.rows.map((r) => r.v2Kb) },
        ],
      }));
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ ...table, figure: flags.out })}\n`);
        return;
      }
      process.stdout.write(`${textTable(
        [{ header: 'size' }, { header: 'V1 channels', align: 'right' }, { header: 'V1 KB', align: 'right' }, { header: 'V2 channels', align: 'right' }, { header: 'V2 KB', align: 'right' }],
        table.rows.map((r) => [r.size, String(r.v1Channels), r.v1Kb.toFixed(0), String(r.v2Channels), r.v2Kb.toFixed(0)]),
      )}\n\nmax: V1 ${table.v1MaxKb.toFixed(0)} KB, V2 ${table.v2MaxKb.toFixed(0)} KB (the paper: 1600 / 400, a later revision 800 / 200)\n` +
      `measured by the runtime (batch 1, fp32 arena + band buffers): plain ${(table.measured.plainBytes / 1e6).toFixed(2)} MB, memory-efficient ${(table.measured.memoryEfficientBytes / 1e6).toFixed(2)} MB\nfigure: ${flags.out}\n`);
    });
}
