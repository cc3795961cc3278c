export { Orchestrator, type OrchestratorOptions } from './orchestrator.js';
export type { AppLifecycle, InstallRequest, InstallSource, LogOptions } from './lifecycle.js';
export {
  CURRENT_LAYOUT_VERSION,
  logLayoutMigration,
  migrateDataLayout,
  type LayoutMigrationReport,
} from './data-layout-migration.js';
export { ImageTrust, type ImageTrustOptions } from './image-trust.js';
export { BundledApps } from './bundled-apps.js';
export { BackupHold, type HeldApp, type HoldPhase } from './backup-hold.js';
