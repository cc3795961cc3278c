/**
 * The registry host of an image reference, as Podman resolves it: the first path component
 * when it looks like a host (has a dot or a colon, or is localhost), else Docker Hub.
 */
export function registryHost(image: string): string {
  const slash = image.indexOf('/');
  if (slash === -1) return 'docker.io';
  const first = image.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : 'docker.io';
}

/** Parses ARCHY_INSECURE_REGISTRIES (`host:port,host:port`). */
export function parseInsecureRegistries(value: string | undefined): Set<string> {
  return new Set(
    (value ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry.length > 0),
  );
}
