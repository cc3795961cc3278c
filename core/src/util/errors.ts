// TEMPORARY (issue 14): ArchyError moved to the kernel (core/src/kernel/archy-error.ts). This
// re-export keeps the files under orchestrator/ and versions/ that are being rewritten in parallel
// compiling; once they import `../kernel/index.js`, delete this file.
export { ArchyError, notFound } from '../kernel/archy-error.js';
