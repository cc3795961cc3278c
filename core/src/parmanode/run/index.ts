// Public surface of the Parmanode script runner: a script in a throwaway rootless container.
export {
  runParmanodeScript,
  ScriptRunError,
  type ScriptRunOptions,
  type ScriptRunResult,
} from './run-script.js';
export {
  DEFAULT_RUNNER_IMAGE,
  PARMANODE_DATA_LABEL,
  PARMANODE_RUN_PURPOSE,
  PURPOSE_LABEL,
  parseRunTimeout,
  runnerPodmanArgs,
} from './runner-args.js';
