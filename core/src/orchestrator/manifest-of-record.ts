import { applyBitcoinSettings } from '../bitcoin/chain-settings.js';
import { parseManifest, type AppManifest } from '../manifest/index.js';
import type { AppRecord } from './app-record.js';

/** The manifest an installed app runs: the one it was installed with, with the user's Bitcoin settings. */
export function manifestOfRecord(record: AppRecord): AppManifest {
  const manifest = parseManifest(record.manifestYaml, record.manifestFile);
  const applied = record.bitcoin ? applyBitcoinSettings(manifest, record.bitcoin) : manifest;
  return record.adopted ? inForeground(applied) : applied;
}

/**
 * An adopted datadir keeps its own bitcoin.conf, which bitcoind reads; Parmanode's sets
 * `daemon=1`, and a bitcoind that forks leaves its container's main process to exit. The command
 * line wins over the file, so an adopted node runs with `-daemon=0` (the file stays as it is).
 */
export function inForeground(manifest: AppManifest): AppManifest {
  if (!manifest.bitcoin || !manifest.command || manifest.command.includes('-daemon=0')) return manifest;
  const command = [...manifest.command, '-daemon=0'];
  return {
    ...manifest,
    command,
    services: manifest.services.map((service) =>
      service.name === manifest.main ? { ...service, command } : service,
    ),
  };
}
