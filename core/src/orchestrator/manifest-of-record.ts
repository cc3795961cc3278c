import { applyBitcoinSettings } from '../bitcoin/chain-settings.js';
import { parseManifest, type AppManifest } from '../manifest/index.js';
import type { AppRecord } from './app-record.js';

/** The manifest an installed app runs: the one it was installed with, with the user's Bitcoin settings. */
export function manifestOfRecord(record: AppRecord): AppManifest {
  const manifest = parseManifest(record.manifestYaml, record.manifestFile);
  return record.bitcoin ? applyBitcoinSettings(manifest, record.bitcoin) : manifest;
}
