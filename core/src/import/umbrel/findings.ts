// What a conversion says about an app: refusals (nothing is converted) and warnings (converted,
// but something was dropped or changed). The codes are part of the contract (`--json`, the
// report's counts per reason): add codes, never rename them.

/** Why an app is not converted. */
export const REFUSAL_CODES = [
  'privileged',
  'host-network',
  'host-pid',
  'docker-socket',
  'devices',
  'host-path',
  'host-port',
  'other-app-data',
  'app-files',
  'capabilities',
  'root-user',
  'no-digest',
  'build',
  'unknown-dependency',
  'unknown-variable',
  'shared-volume',
  'unsupported',
  'invalid',
] as const;
export type RefusalCode = (typeof REFUSAL_CODES)[number];

/** What a converted app lost or had changed on the way. */
export const WARNING_CODES = [
  'restart',
  'app-proxy-auth',
  'tor',
  'image-user',
  'hooks',
  'app-files',
  'dropped',
  'derived-secret',
  'lightning-files',
  'bitcoin-p2p',
  'no-web-ui',
] as const;
export type WarningCode = (typeof WARNING_CODES)[number];

export interface Finding<Code extends string = string> {
  code: Code;
  message: string;
}

/** Collects findings once each (the same message from two services is said once). */
export class Findings {
  readonly refusals: Array<Finding<RefusalCode>> = [];
  readonly warnings: Array<Finding<WarningCode>> = [];

  refuse(code: RefusalCode, message: string): void {
    if (!this.refusals.some((finding) => finding.message === message)) this.refusals.push({ code, message });
  }

  warn(code: WarningCode, message: string): void {
    if (!this.warnings.some((finding) => finding.message === message)) this.warnings.push({ code, message });
  }
}
