// The SBOM format is CycloneDX (JSON, spec 1.6) rather than SPDX because what we must say maps
// onto CycloneDX's model directly: a container (the image) assembled from components (the release
// tarball, each Debian package, the app's folder) that *contain* file components with hashes —
// CycloneDX's nested `components` are exactly "this file came out of that package" — and purls and
// distribution references with hashes on those components; the same document is what
// `cosign attest --type cyclonedx` carries. The OWASP CycloneDX JavaScript library writes it: it
// has no runtime dependencies, no install scripts, and is loaded only while an SBOM is being built
// (a dynamic import below), so the idle daemon never holds it.

import { createHash } from 'node:crypto';
import type * as CdxModels from '@cyclonedx/cyclonedx-library/Models';
import { contentSerialNumber } from './serial-number.js';
import { debianPurl, releasePurl } from './purl.js';
import type {
  AppFileOrigin,
  BuiltSbom,
  DebianFileOrigin,
  ReleaseFileOrigin,
  SbomInput,
} from './sbom-input.js';

type Cdx = Awaited<ReturnType<typeof loadLibrary>>;

/** The library, imported on first use: a separate chunk in the bundle. */
async function loadLibrary() {
  const [Models, Enums, Serialize, Spec] = await Promise.all([
    import('@cyclonedx/cyclonedx-library/Models'),
    import('@cyclonedx/cyclonedx-library/Enums'),
    import('@cyclonedx/cyclonedx-library/Serialize'),
    import('@cyclonedx/cyclonedx-library/Spec'),
  ]);
  return { Models, Enums, Serialize, Spec };
}

/** Our property names, namespaced as the CycloneDX property taxonomy asks of non-CycloneDX names. */
export const SBOM_PROPERTY = {
  origin: 'archipelago:origin',
  size: 'archipelago:file:size',
  releaseMember: 'archipelago:release:member',
  releaseTarball: 'archipelago:release:tarball',
  releaseUrl: 'archipelago:release:url',
  releaseSigner: 'archipelago:release:signer',
  debianHostPath: 'archipelago:debian:host-path',
  debianSource: 'archipelago:debian:source-package',
  appSource: 'archipelago:app:source',
  generatedBy: 'archipelago:generated-by',
  imageId: 'archipelago:image:id',
  symlink: 'archipelago:symlink',
} as const;

const RELEASE_PROJECT = {
  core: { name: 'bitcoin-core', supplier: 'Bitcoin Core', url: 'https://bitcoincore.org/' },
  knots: { name: 'bitcoin-knots', supplier: 'Bitcoin Knots', url: 'https://bitcoinknots.org/' },
} as const;

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * A CycloneDX 1.6 JSON SBOM of an image. Deterministic: the timestamp comes from the input, every
 * list is sorted, every bom-ref is derived from what it names, and the serialNumber is derived
 * from the rest of the document, so the same input always gives the same bytes.
 *
 * Throws on input that would make a false SBOM (a path twice, a malformed hash, one tarball or
 * package described two different ways): that is a bug in the image builder, not a user error.
 */
export async function buildSbom(input: SbomInput): Promise<BuiltSbom> {
  checkInput(input);
  const cdx = await loadLibrary();
  const bom = assemble(cdx, input);
  const serializer = new cdx.Serialize.JsonSerializer(
    new cdx.Serialize.JSON.Normalize.Factory(cdx.Spec.Spec1dot6),
  );
  const options = { sortLists: true, space: 2 };
  bom.serialNumber = contentSerialNumber(serializer.serialize(bom, options));
  const json = `${serializer.serialize(bom, options)}\n`;
  return { json, sha256: createHash('sha256').update(json, 'utf8').digest('hex') };
}

function assemble(cdx: Cdx, input: SbomInput): CdxModels.Bom {
  const { Models, Enums } = cdx;
  const property = (name: string, value: string) => new Models.Property(name, value);
  const sha256 = (hex: string) => new Models.HashDictionary([[Enums.HashAlgorithm['SHA-256'], hex]]);

  const image = new Models.Component(Enums.ComponentType.Container, input.subject.name, {
    bomRef: `image:${input.subject.name}:${input.subject.version}`,
    version: input.subject.version,
  });
  if (input.subject.imageId) image.properties.add(property(SBOM_PROPERTY.imageId, input.subject.imageId));
  for (const link of input.symlinks ?? [])
    image.properties.add(property(SBOM_PROPERTY.symlink, `${link.path} -> ${link.target}`));

  const bom = new Models.Bom();
  bom.metadata.timestamp = input.createdAt;
  bom.metadata.component = image;
  bom.metadata.tools.components.add(
    new Models.Component(Enums.ComponentType.Application, 'archipelago', {
      ...(input.generatorVersion ? { version: input.generatorVersion } : {}),
    }),
  );

  // One assembly component per origin; files are nested inside the component they came out of.
  const assemblies = new Map<string, CdxModels.Component>();
  const assemblyFor = (key: string, make: () => CdxModels.Component): CdxModels.Component => {
    let found = assemblies.get(key);
    if (!found) {
      found = make();
      assemblies.set(key, found);
      bom.components.add(found);
      image.dependencies.add(found.bomRef);
    }
    return found;
  };

  for (const file of input.files) {
    const component = new Models.Component(Enums.ComponentType.File, file.path, {
      bomRef: `file:${file.path}`,
      hashes: sha256(file.sha256),
    });
    component.properties.add(property(SBOM_PROPERTY.origin, file.origin.kind));
    component.properties.add(property(SBOM_PROPERTY.size, String(file.size)));
    const origin = file.origin;
    switch (origin.kind) {
      case 'release':
        component.properties.add(property(SBOM_PROPERTY.releaseMember, origin.member));
        assemblyFor(`release:${origin.tarball}`, () => releaseComponent(cdx, origin)).components.add(
          component,
        );
        break;
      case 'debian':
        component.properties.add(property(SBOM_PROPERTY.debianHostPath, origin.hostPath));
        assemblyFor(`deb:${origin.package}:${origin.architecture}`, () =>
          debianComponent(cdx, origin),
        ).components.add(component);
        break;
      case 'app':
        component.properties.add(property(SBOM_PROPERTY.appSource, origin.source));
        assemblyFor(`app:${origin.appId}`, () => appComponent(cdx, origin)).components.add(component);
        break;
      case 'generated':
        component.properties.add(property(SBOM_PROPERTY.generatedBy, origin.by));
        bom.components.add(component);
        image.dependencies.add(component.bomRef);
        break;
    }
  }
  return bom;
}

function releaseComponent(cdx: Cdx, origin: ReleaseFileOrigin): CdxModels.Component {
  const { Models, Enums } = cdx;
  const project = RELEASE_PROJECT[origin.implementation];
  const downloadable = /^https?:\/\//i.test(origin.url);
  const purl = releasePurl({
    name: project.name,
    version: origin.version,
    sha256: origin.tarballSha256,
    ...(downloadable ? { downloadUrl: origin.url } : {}),
  });
  const hashes = new Models.HashDictionary([[Enums.HashAlgorithm['SHA-256'], origin.tarballSha256]]);
  const component = new Models.Component(Enums.ComponentType.Application, project.name, {
    bomRef: purl,
    version: origin.version,
    purl,
    hashes,
    supplier: new Models.OrganizationalEntity({ name: project.supplier, url: new Set([project.url]) }),
  });
  // Both projects publish under the MIT licence (their COPYING file).
  component.licenses.add(new Models.SpdxLicense('MIT'));
  if (downloadable)
    component.externalReferences.add(
      new Models.ExternalReference(origin.url, Enums.ExternalReferenceType.Distribution, {
        hashes: new Models.HashDictionary(hashes),
        comment: `official release tarball ${origin.tarball}, verified against SHA256SUMS signed by ${origin.signers.length} pinned builder key(s)`,
      }),
    );
  component.properties.add(new Models.Property(SBOM_PROPERTY.releaseTarball, origin.tarball));
  component.properties.add(new Models.Property(SBOM_PROPERTY.releaseUrl, origin.url));
  for (const signer of origin.signers)
    component.properties.add(new Models.Property(SBOM_PROPERTY.releaseSigner, signer));
  return component;
}

function debianComponent(cdx: Cdx, origin: DebianFileOrigin): CdxModels.Component {
  const { Models, Enums } = cdx;
  const purl = debianPurl(origin);
  const component = new Models.Component(Enums.ComponentType.Library, origin.package, {
    bomRef: purl,
    version: origin.version,
    purl,
    supplier: new Models.OrganizationalEntity({ name: 'Debian', url: new Set(['https://www.debian.org/']) }),
  });
  if (origin.sourcePackage)
    component.properties.add(new Models.Property(SBOM_PROPERTY.debianSource, origin.sourcePackage));
  return component;
}

function appComponent(cdx: Cdx, origin: AppFileOrigin): CdxModels.Component {
  const { Models, Enums } = cdx;
  return new Models.Component(Enums.ComponentType.Application, origin.appId, {
    bomRef: `app:${origin.appId}`,
  });
}

function checkInput(input: SbomInput): void {
  const fail = (why: string): never => {
    throw new Error(`cannot build the SBOM of ${input.subject.name}:${input.subject.version}: ${why}`);
  };
  if (Number.isNaN(input.createdAt.getTime())) fail('createdAt is not a valid date');
  const paths = new Set<string>();
  const releases = new Map<string, string>();
  const packages = new Map<string, string>();
  const checkPath = (path: string) => {
    if (!path.startsWith('/') || path.split('/').some((part) => part === '..' || part === '.'))
      fail(`'${path}' is not an absolute, normalised path inside the image`);
    if (paths.has(path)) fail(`'${path}' is listed twice`);
    paths.add(path);
  };
  for (const file of input.files) {
    checkPath(file.path);
    if (!SHA256_HEX.test(file.sha256)) fail(`the SHA-256 of ${file.path} is not 64 lowercase hex digits`);
    if (!Number.isSafeInteger(file.size) || file.size < 0)
      fail(`the size of ${file.path} is not a byte count`);
    const origin = file.origin;
    if (origin.kind === 'release') {
      if (!SHA256_HEX.test(origin.tarballSha256))
        fail(`the SHA-256 of ${origin.tarball} is not 64 lowercase hex digits`);
      const described = JSON.stringify([
        origin.implementation,
        origin.version,
        origin.tarballSha256,
        origin.url,
        [...origin.signers].sort(),
      ]);
      if ((releases.get(origin.tarball) ?? described) !== described)
        fail(`${origin.tarball} is described differently by two files`);
      releases.set(origin.tarball, described);
    } else if (origin.kind === 'debian') {
      const key = `${origin.package}:${origin.architecture}`;
      const described = JSON.stringify([origin.version, origin.distro, origin.sourcePackage]);
      if ((packages.get(key) ?? described) !== described)
        fail(`the Debian package ${key} is described with two different versions`);
      packages.set(key, described);
    }
  }
  for (const link of input.symlinks ?? []) checkPath(link.path);
}
