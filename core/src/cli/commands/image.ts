import { resolve } from 'node:path';
import type { Command } from 'commander';
import { jsonOption } from '../client-options.js';
import { printJson, printText } from '../output.js';

/**
 * `archy image keygen|sign`: the publisher's side of signed images, on this machine (no daemon
 * needed). A thin shell over security/image-signing, which the image pipeline calls directly.
 */
export function registerImageCommands(program: Command): void {
  const image = program
    .command('image')
    .description('sign app images for publishing (cosign key-pair format; no daemon needed)');

  image
    .command('keygen')
    .description('create an ECDSA P-256 signing key pair: cosign.key (mode 0600) and cosign.pub')
    .requiredOption(
      '--out <dir>',
      'folder for the two files (created 0700); existing keys are never overwritten',
    )
    .addOption(jsonOption())
    .action(async (options: { out: string; json: boolean }) => {
      // Loaded here: only these commands need the signing code.
      const { generateSigningKeyPair, formatKeyPairGenerated } =
        await import('../../security/image-signing/index.js');
      const pair = await generateSigningKeyPair(resolve(options.out));
      // The private key is never printed, only where it is.
      if (options.json) printJson(pair);
      else printText(formatKeyPairGenerated(pair));
    });

  image
    .command('sign')
    .description(
      "sign an image in its registry: writes the cosign signature at the image's sha256-<hex>.sig tag",
    )
    .argument('<image-ref>', 'registry/repository:tag (or @sha256:...) of an image already pushed')
    .requiredOption('--key <file>', 'the private key (cosign.key from archy image keygen; must be mode 0600)')
    .option(
      '--insecure-registry',
      'talk plain HTTP to the registry (also implied when it is listed in ARCHY_INSECURE_REGISTRIES)',
      false,
    )
    .addOption(jsonOption())
    .action(async (imageRef: string, options: { key: string; insecureRegistry: boolean; json: boolean }) => {
      const { formatImageSigned, parseImageReference, readSigningKeyFile, signImage } =
        await import('../../security/image-signing/index.js');
      const { parseInsecureRegistries } = await import('../../util/image-reference.js');
      // Parsed first: a mistyped reference is reported before the key file is even read.
      const { registry } = parseImageReference(imageRef);
      const privateKeyPem = await readSigningKeyFile(resolve(options.key));
      const registryInsecure =
        options.insecureRegistry ||
        parseInsecureRegistries(process.env.ARCHY_INSECURE_REGISTRIES).has(registry);
      const result = await signImage({ imageRef, privateKeyPem, registryInsecure });
      if (options.json) printJson(result);
      else printText(formatImageSigned(result));
    });
}
