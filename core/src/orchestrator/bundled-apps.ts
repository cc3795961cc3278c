// The apps shipped with the daemon: one manifest per folder, `<appsDir>/<id>/manifest.yml`.

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { RpcErrorCode } from '../kernel/index.js';
import { parseManifest, type AppManifest } from '../manifest/index.js';
import type { AvailableApp } from '../resolver/index.js';
import { isValidAppId } from '../util/app-id.js';
import { ArchyError } from '../kernel/index.js';
import type { InstallRequest } from './lifecycle.js';

export class BundledApps {
  constructor(
    private readonly appsDir: string,
    private readonly log: Logger,
  ) {}

  path(id: string): string {
    return join(this.appsDir, id, 'manifest.yml');
  }

  /** A bundled manifest's text; a clear NotFound or InvalidParams for an id there is none for. */
  async read(id: string): Promise<string> {
    if (!isValidAppId(id)) {
      throw new ArchyError(
        RpcErrorCode.InvalidParams,
        `'${id}' is not a valid app id (lowercase letters, digits, '-')`,
      );
    }
    try {
      return await readFile(this.path(id), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new ArchyError(
          RpcErrorCode.NotFound,
          `no bundled app named '${id}'; install from a manifest file with 'archy install path/to/manifest.yml'`,
        );
      }
      throw error;
    }
  }

  /** A bundled manifest, parsed, with its text and file. */
  async manifest(id: string): Promise<{ manifest: AppManifest; yaml: string; file: string }> {
    const yaml = await this.read(id);
    return { manifest: parseManifest(yaml, this.path(id)), yaml, file: this.path(id) };
  }

  /**
   * The images the app's bundled manifest pins by digest (every service's); none when there is
   * no such app or its manifest does not parse. What ImageTrust lets run without our signature.
   */
  async pinnedImages(id: string): Promise<string[]> {
    try {
      const { manifest } = await this.manifest(id);
      return manifest.services.map((service) => service.image).filter((image) => image.includes('@sha256:'));
    } catch {
      return [];
    }
  }

  /** The manifest an install request names: the one it carries, or the bundled one. */
  async load(request: InstallRequest): Promise<AppManifest> {
    if (request.source.kind === 'manifest') return parseManifest(request.source.yaml, request.source.file);
    return (await this.manifest(request.source.id)).manifest;
  }

  /** The bundled apps that can be installed to satisfy a dependency. A broken one is skipped. */
  async available(): Promise<AvailableApp[]> {
    let ids: string[];
    try {
      ids = await readdir(this.appsDir);
    } catch {
      return [];
    }
    const apps: AvailableApp[] = [];
    for (const id of ids.filter(isValidAppId)) {
      try {
        apps.push({ manifest: parseManifest(await readFile(this.path(id), 'utf8'), this.path(id)) });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
          this.log.warn({ app: id, err: error }, 'skipping a bundled manifest that does not parse');
        }
      }
    }
    return apps;
  }
}
