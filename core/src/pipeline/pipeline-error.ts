import { ArchyError, RpcErrorCode, type PipelineRefusalData, type PipelineStep } from '../kernel/index.js';

// The kernel's type: a refusal carries the step in its `data`.
export type { PipelineStep };

/**
 * A release the pipeline refuses. The message says what failed and what to do; `data.step`
 * names the check. Every refusal is final: nothing downstream (image build, push) may run.
 */
export function releaseRefused(
  step: PipelineStep,
  message: string,
  extra: { cause?: unknown; data?: Omit<PipelineRefusalData, 'step'> } = {},
) {
  const code = step === 'config' ? RpcErrorCode.InvalidParams : RpcErrorCode.ImageUnavailable;
  return new ArchyError(code, message, { cause: extra.cause, data: { step, ...extra.data } });
}

/** The step a pipeline error came from, or undefined for any other error. */
export function refusedStep(error: unknown): PipelineStep | undefined {
  if (!(error instanceof ArchyError)) return undefined;
  const data = error.data;
  return data && 'step' in data ? data.step : undefined;
}
