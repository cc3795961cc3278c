import { RpcErrorCode } from '../api/contract.js';
import { ArchyError } from '../util/errors.js';

/** Which check refused a release; carried in the error's `data` so tools can switch on it. */
export type PipelineStep =
  | 'config'
  | 'download'
  | 'mirror-check'
  | 'checksum'
  | 'signatures'
  | 'build'
  | 'push'
  | 'sign'
  | 'attest'
  | 'publish';

/**
 * A release the pipeline refuses. The message says what failed and what to do; `data.step`
 * names the check. Every refusal is final: nothing downstream (image build, push) may run.
 */
export function releaseRefused(
  step: PipelineStep,
  message: string,
  extra: { cause?: unknown; data?: object } = {},
) {
  const code = step === 'config' ? RpcErrorCode.InvalidParams : RpcErrorCode.ImageUnavailable;
  return new ArchyError(code, message, { cause: extra.cause, data: { step, ...extra.data } });
}

/** The step a pipeline error came from, or undefined for any other error. */
export function refusedStep(error: unknown): PipelineStep | undefined {
  if (!(error instanceof ArchyError)) return undefined;
  const data = error.data as { step?: PipelineStep } | undefined;
  return data?.step;
}
