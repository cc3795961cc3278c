// The refusal a resolver call throws, as the code and message a user would see.

import { ArchyError } from '../kernel/index.js';

export function refusal(run: () => unknown): { code: number; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof ArchyError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal');
}
