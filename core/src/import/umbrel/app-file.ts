// Reads an Umbrel app's umbrel-app.yml: who the app is (id, name, version), where its web UI
// is published (`port`), which other Umbrel apps it needs, and its web UI's default login.

import { parse as parseYaml } from 'yaml';

export interface UmbrelAppFile {
  id: string;
  name: string;
  version: string;
  category?: string;
  tagline?: string;
  description?: string;
  website?: string;
  /** The host port Umbrel publishes the web UI (the app_proxy) on. */
  port?: number;
  dependencies: string[];
  defaultUsername?: string;
  defaultPassword?: string;
  /** The web UI's password is Umbrel's generated APP_PASSWORD. */
  deterministicPassword: boolean;
}

/** A YAML error's first line, without the colon that introduces its code excerpt. */
export const firstLine = (error: unknown): string =>
  ((error as Error).message.split('\n')[0] ?? '').replace(/:\s*$/, '');

export type Read<T> = { ok: true; value: T } | { ok: false; reason: string };

const text = (value: unknown): string | undefined =>
  typeof value === 'string'
    ? value.trim() || undefined
    : typeof value === 'number'
      ? String(value)
      : undefined;

/** Parses the file's text; a missing id, name or version, or unreadable YAML, is a reason. */
export function readAppFile(source: string): Read<UmbrelAppFile> {
  let raw: unknown;
  try {
    raw = parseYaml(source, { maxAliasCount: 100 });
  } catch (error) {
    return {
      ok: false,
      reason: `umbrel-app.yml is not readable YAML: ${firstLine(error)}`,
    };
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    return { ok: false, reason: 'umbrel-app.yml is not a mapping of fields' };
  const fields = raw as Record<string, unknown>;
  const id = text(fields.id);
  const name = text(fields.name);
  const version = text(fields.version);
  const missing = [!id && 'id', !name && 'name', !version && 'version'].filter(Boolean);
  if (!id || !name || !version) return { ok: false, reason: `umbrel-app.yml has no ${missing.join(', ')}` };
  const port = typeof fields.port === 'number' ? fields.port : Number(text(fields.port) ?? NaN);
  const dependencies = Array.isArray(fields.dependencies)
    ? fields.dependencies.filter((entry): entry is string => typeof entry === 'string')
    : [];
  return {
    ok: true,
    value: {
      id,
      name,
      version,
      category: text(fields.category),
      tagline: text(fields.tagline),
      description: text(fields.description),
      website: text(fields.website),
      port: Number.isInteger(port) && port > 0 ? port : undefined,
      dependencies,
      defaultUsername: text(fields.defaultUsername),
      defaultPassword: text(fields.defaultPassword),
      deterministicPassword: fields.deterministicPassword === true,
    },
  };
}
