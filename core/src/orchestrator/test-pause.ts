// TEST HOOK, not a feature: ARCHY_TEST_PAUSE_AT=<step> makes the daemon stop before that step of
// a multi-step operation, log "paused at <step>" and wait forever, so a crash-safety test can
// SIGKILL it at exactly that point. Unset (always, outside tests) it costs nothing.

import type { Logger } from 'pino';

export const TEST_PAUSE_ENV = 'ARCHY_TEST_PAUSE_AT';

export function testPauseHook(logger: Logger, env: NodeJS.ProcessEnv = process.env) {
  const wanted = env[TEST_PAUSE_ENV];
  return async (step: string, app: string): Promise<void> => {
    if (!wanted || wanted !== step) return;
    logger.warn({ app, step }, `paused at ${step} (test hook ${TEST_PAUSE_ENV}); waiting to be killed`);
    await new Promise<never>(() => {});
  };
}

export type PauseHook = ReturnType<typeof testPauseHook>;
