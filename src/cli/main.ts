#!/usr/bin/env node
/**
 * The `mobilenet` command: argument parsing and printing only; every command calls the public API.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { registerModels } from './commands/models.js';
import { registerSummary } from './commands/summary.js';
import { registerInference } from './commands/inference.js';
import { registerBench } from './commands/bench.js';
import { registerTrain } from './commands/train.js';
import { registerExperiments } from './commands/experiment.js';
import { EXIT_USAGE, reportError } from './errors.js';

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function createProgram(): Command {
  const program = new Command('mobilenet')
    .description('MobileNetV1 and MobileNetV2 in TypeScript: architectures, cost model, inference and training')
    .version(packageVersion())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'mobilenet: ')) });
  registerSummary(program);
  registerModels(program);
  registerInference(program);
  registerBench(program);
  registerTrain(program);
  registerExperiments(program);
  for (const command of program.commands) command.exitOverride().configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'mobilenet: ')) });
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = createProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through here with exit code 0; usage errors were already printed.
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    return reportError(error);
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
