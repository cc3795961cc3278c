import { ArchyError } from '../../kernel/index.js';
import {
  formatCuratedSelection,
  formatSignatureReport,
  IMPLEMENTATIONS,
  loadPipelineConfig,
  releaseRefused,
  runPipeline,
  selectCuratedSet,
  type Implementation,
  type PipelineConfig,
  type PipelineFailureData,
  type SignatureReport,
  type StepTiming,
} from '../../pipeline/index.js';
import { CliError } from '../cli-error.js';
import { printJson, printText } from '../output.js';

/** `archy pipeline build`'s options, as commander parses them (pipeline.ts declares the flags). */
export interface PipelineBuildOptions {
  config: string;
  workDir?: string;
  json: boolean;
}

/** What `archy pipeline build` does once its arguments are parsed (loaded on demand: see pipeline.ts). */
export async function runPipelineBuild(
  implementation: string,
  version: string,
  options: PipelineBuildOptions,
): Promise<void> {
  if (!(IMPLEMENTATIONS as readonly string[]).includes(implementation))
    throw new CliError(`'${implementation}' is not an implementation; use ${IMPLEMENTATIONS.join(' or ')}`);
  const impl = implementation as Implementation;
  const config = await loadPipelineConfig(options.config).catch(fail());
  checkCuratedSet(config, impl, version);
  const progress = (timing: StepTiming): void => {
    process.stderr.write(`${formatStep(timing)}\n`);
  };
  const result = await runPipeline({
    implementation: impl,
    version,
    config,
    ...(options.workDir ? { workRoot: options.workDir } : {}),
    onStep: progress,
  }).catch(fail());
  if (options.json) {
    printJson(result);
    return;
  }
  const total = result.steps.reduce((sum, step) => sum + step.ms, 0);
  printText(
    [
      `published ${result.image} (${result.digest}) in ${formatMs(total)}`,
      `  verified: ${result.release.signatures.good.map((s) => s.userId).join(', ')} signed SHA256SUMS; sha256 ${result.release.sha256}`,
      `  source:   ${result.release.sourceUrl}`,
      `  signed:   ${result.signature.signatureRef}`,
      `  catalog:  ${result.catalog.file} version ${result.catalog.version} (expires ${result.catalog.expires})` +
        (result.catalog.created ? ', new file' : ''),
    ].join('\n'),
  );
}

function formatMs(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

function formatStep(timing: StepTiming): string {
  return `  ok  ${timing.step.padEnd(8)} ${formatMs(timing.ms).padStart(9)}  ${timing.detail}`;
}

/**
 * A curated set in the config decides which versions are published: its dropped versions are
 * reported (never silently), and a version it drops is refused with the reason.
 */
function checkCuratedSet(config: PipelineConfig, implementation: Implementation, version: string): void {
  const set = config.curatedSet?.[implementation];
  if (!set) return;
  const selection = (() => {
    try {
      return selectCuratedSet(implementation, set);
    } catch (error) {
      return fail()(error);
    }
  })();
  process.stderr.write(`${formatCuratedSelection(selection)}\n`);
  const dropped = selection.dropped.find((entry) => entry.version === version);
  if (dropped)
    fail()(
      releaseRefused(
        'config',
        `${version} is dropped from the curated set: ${dropped.reason}; add it to curatedSet.${implementation}.include to publish it anyway`,
      ),
    );
  if (!selection.kept.includes(version))
    fail()(
      releaseRefused(
        'config',
        `${version} is not in curatedSet.${implementation}.versions; add it there (or to include) to publish it`,
      ),
    );
}

/** Turns a refusal into the multi-line report: the failed step, why, and what was done. */
// The steps that finished were printed as they did; the report says what failed after them.
function fail(): (error: unknown) => never {
  return (error: unknown) => {
    if (!(error instanceof ArchyError)) throw error;
    const data = (error.data ?? {}) as Partial<PipelineFailureData> & { report?: SignatureReport };
    const lines: string[] = [];
    lines.push(
      `archy: pipeline build FAILED at step '${data.step ?? 'config'}': ${error.message.split('\n')[0]}`,
    );
    if (data.report) lines.push(formatSignatureReport(data.report));
    lines.push(
      data.leftovers?.length
        ? 'The rollback could not remove everything from the registry (listed above).'
        : 'Nothing was published: no image tag was left in the registry or on this host, and the catalog is unchanged.',
    );
    throw new CliError(lines.join('\n'), { preformatted: true, cause: error });
  };
}
