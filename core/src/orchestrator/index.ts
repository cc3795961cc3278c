export { Orchestrator, type OrchestratorOptions } from './orchestrator.js';
export type { AppLifecycle, InstallRequest, InstallSource, LogOptions } from './lifecycle.js';
export { DataLayout, RESERVED_APP_IDS } from './data-layout.js';
export { ImageTrust, type ImageTrustOptions } from './image-trust.js';
