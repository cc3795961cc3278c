/**
 * Package URLs (purl, https://github.com/package-url/purl-spec) for the two kinds of package an
 * image of ours is made from. Only these two shapes are needed, so they are built here rather than
 * with a general purl library: percent-encoding as the spec asks (version and qualifier values
 * encoded, qualifiers sorted by key), keeping ':' (and '/' in qualifier values) literal as the
 * spec's canonical examples do (`checksum=sha256:…`, `download_url=https://…`).
 */

const encode = (text: string, literal: readonly string[]): string => {
  let out = encodeURIComponent(text);
  for (const ch of literal) out = out.replaceAll(encodeURIComponent(ch), ch);
  return out;
};

function qualifiers(entries: Record<string, string | undefined>): string {
  const present = Object.entries(entries)
    .filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return present.length === 0 ? '' : `?${present.map(([k, v]) => `${k}=${encode(v, [':', '/'])}`).join('&')}`;
}

/**
 * `pkg:deb/debian/<name>@<version>?arch=<arch>[&distro=debian-12]`: what scanners match Debian
 * advisories on. The namespace is the distribution's ID (`ubuntu` on Ubuntu), `debian` if unknown.
 */
export const debianPurl = (pkg: {
  package: string;
  version: string;
  architecture: string;
  distro?: string;
}): string =>
  `pkg:deb/${encode(pkg.distro?.split('-')[0] || 'debian', [])}/${encode(pkg.package, [])}@${encode(pkg.version, [':'])}` +
  qualifiers({ arch: pkg.architecture, distro: pkg.distro });

/**
 * `pkg:generic/<name>@<version>?checksum=sha256:<hex>[&download_url=<url>]`: an official release
 * tarball, which no ecosystem-specific purl type describes; the checksum pins the exact file.
 */
export const releasePurl = (release: {
  name: string;
  version: string;
  sha256: string;
  downloadUrl?: string;
}): string =>
  `pkg:generic/${encode(release.name, [])}@${encode(release.version, [':'])}` +
  qualifiers({ checksum: `sha256:${release.sha256}`, download_url: release.downloadUrl });
