// The kernel: the domain types, error codes and the error class every layer uses. It imports
// nothing of the project, so any layer may import it; the API re-exports what the wire carries
// (api/contract.ts) and adds only the wire's own shapes (methods, messages, web login).
export * from './adoption.js';
export * from './app-status.js';
export * from './backups.js';
export * from './bitcoin-settings.js';
export * from './connection-info.js';
export * from './error-codes.js';
export * from './error-data.js';
export * from './install-plan.js';
export * from './kept-logs.js';
export * from './resources.js';
export * from './tor.js';
export * from './os-image.js';
export * from './versions.js';
export { ArchyError, notFound } from './archy-error.js';
