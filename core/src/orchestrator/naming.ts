// Moved to podman/naming.ts (issue 14: security/secrets needs the labels, and may not import the
// orchestrator). Re-exported so orchestrator files keep their imports; they may import podman/.
export * from '../podman/naming.js';
