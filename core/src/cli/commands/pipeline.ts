import type { Command } from 'commander';
import { IMPLEMENTATIONS } from '../../pipeline/release-layout.js';
import { jsonOption } from '../client-options.js';
import type { PipelineBuildOptions } from './pipeline-build.js';

/**
 * `archy pipeline build <core|knots> <version> --config <file>`: official release → verified →
 * image → pushed → signed → catalog. Runs on the publisher's machine; no daemon involved.
 */
export function registerPipelineCommands(program: Command): void {
  const pipeline = program
    .command('pipeline')
    .description('build, sign and publish Bitcoin Core/Knots images from verified official releases');
  pipeline
    .command('build')
    .description('verify an official release, build its image, push, sign and add it to the catalog')
    .argument('<implementation>', `which node software: ${IMPLEMENTATIONS.join(' or ')}`)
    .argument('<version>', 'the full upstream version, e.g. 28.1 or 29.3.knots20260508 (never latest)')
    .requiredOption(
      '--config <file>',
      'the pipeline config (YAML): sources, builderKeys, registry, keys, catalog',
    )
    .option('--work-dir <dir>', 'where downloads and the image rootfs are staged (default: the temp folder)')
    .addOption(jsonOption())
    // The pipeline (OpenPGP, tar, registry code) loads only when it runs: every other archy
    // command, and the daemon (which runs through this same executable), stays small.
    .action(async (implementation: string, version: string, options: PipelineBuildOptions) => {
      const { runPipelineBuild } = await import('./pipeline-build.js');
      await runPipelineBuild(implementation, version, options);
    });
}
