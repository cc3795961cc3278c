import { createHash } from 'node:crypto';
import type { ImageProvenanceReport } from '@archipelago/core/contract';
import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RpcError } from '../api/container-client';
import { appStatus } from '../test/fixtures';
import ProvenanceCard from './ProvenanceCard.vue';

// The details page's provenance card for an image this node built, and its SBOM download.

const TARBALL_SHA = 'a'.repeat(32) + 'b'.repeat(32);
const SBOM = JSON.stringify({
  bomFormat: 'CycloneDX',
  specVersion: '1.6',
  components: [{ name: 'bitcoind' }],
});
const SBOM_SHA = createHash('sha256').update(SBOM, 'utf8').digest('hex');

const releaseProvenance: ImageProvenanceReport = {
  builtBy: 'node',
  imageId: 'sha256:' + 'c'.repeat(64),
  reference: 'localhost/archipelago/bitcoin-core:31.1',
  builtAt: '2026-06-01T12:00:00.000Z',
  origin: {
    kind: 'release',
    implementation: 'core',
    arch: 'x86_64',
    tarball: 'bitcoin-31.1-x86_64-linux-gnu.tar.gz',
    sha256: TARBALL_SHA,
    source: 'https://bitcoincore.org/bin/bitcoin-core-31.1/bitcoin-31.1-x86_64-linux-gnu.tar.gz',
    signers: [
      { fingerprint: '152812300785C96444D3334D17565732E08E5E41', userId: 'Andrew Chow <andrew@example>' },
      { fingerprint: 'E777299FC265DD04793070EB944D35F9AC3DB76A', userId: 'Michael Ford <fanquake@example>' },
      {
        fingerprint: 'D1DBF2C4B96F2DEBF4C16654410108112E7EA81F',
        userId: 'Hennadii Stepanov <hebasto@example>',
      },
    ],
    threshold: 3,
  },
  sbom: { format: 'CycloneDX 1.6 JSON', sha256: SBOM_SHA },
};

const core = appStatus('bitcoin-core', {
  name: 'Bitcoin Core',
  version: '31.1',
  provenance: releaseProvenance,
});

function mountCard(call: (...args: unknown[]) => Promise<unknown>, app = core) {
  return mount(ProvenanceCard, {
    props: { app: app as typeof core & { provenance: ImageProvenanceReport }, api: { call: call as never } },
    attachTo: document.body,
  });
}

/** Catches what the card hands the browser: the Blob behind the object URL and the link clicked. */
function catchDownloads() {
  const blobs: Blob[] = [];
  const clicks: Array<{ download: string; href: string; inDocument: boolean }> = [];
  vi.spyOn(URL, 'createObjectURL').mockImplementation((blob) => {
    blobs.push(blob as Blob);
    return `blob:node/${blobs.length}`;
  });
  const revoke = vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => undefined);
  vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
    clicks.push({ download: this.download, href: this.href, inDocument: document.body.contains(this) });
  });
  return { blobs, clicks, revoke };
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
  vi.useRealTimers();
  document.body.innerHTML = '';
});

describe('ProvenanceCard', () => {
  it('says the image was built here from the verified official release, and by whom it was signed', () => {
    const wrapper = mountCard(vi.fn());
    expect(wrapper.get('[data-test=provenance-headline]').text()).toContain(
      'Built on this node from the official Bitcoin Core 31.1 release',
    );
    expect(wrapper.get('[data-test=provenance-tarball]').text()).toBe('bitcoin-31.1-x86_64-linux-gnu.tar.gz');
    const sha = wrapper.get('[data-test=provenance-sha256]');
    expect(sha.text()).toBe(TARBALL_SHA);
    expect(sha.element.tagName).toBe('CODE');
    expect(sha.classes()).toContain('hash');
    expect(wrapper.get('[data-test=provenance-source]').text()).toBe(
      releaseProvenance.origin.kind === 'release' ? releaseProvenance.origin.source : '',
    );
    expect(wrapper.get('[data-test=provenance-signed]').text()).toBe(
      'Signed by 3 pinned builders (3 required)',
    );
    const signers = wrapper.findAll('[data-test=provenance-signers] li');
    expect(signers.map((li) => li.attributes('data-fingerprint'))).toEqual([
      '152812300785C96444D3334D17565732E08E5E41',
      'E777299FC265DD04793070EB944D35F9AC3DB76A',
      'D1DBF2C4B96F2DEBF4C16654410108112E7EA81F',
    ]);
    expect(signers[1]!.text()).toBe(
      'Michael Ford <fanquake@example>E777 299F C265 DD04 7930 70EB 944D 35F9 AC3D B76A',
    );
    expect(wrapper.get('[data-test=provenance-image-id]').text()).toBe(releaseProvenance.imageId);
    expect(wrapper.get('[data-test=provenance-built-at] time').attributes('datetime')).toBe(
      '2026-06-01T12:00:00.000Z',
    );
    expect(wrapper.get('[data-test=provenance-sbom-sha256]').text()).toBe(SBOM_SHA);
    wrapper.unmount();
  });

  it('names Knots and its dated version, and a release the user brought as a file on the node', () => {
    const knots = appStatus('bitcoin-knots', {
      name: 'Bitcoin Knots',
      version: '29.3.knots20260508',
      provenance: {
        ...releaseProvenance,
        origin: {
          ...(releaseProvenance.origin as Extract<ImageProvenanceReport['origin'], { kind: 'release' }>),
          implementation: 'knots',
          source: 'file:///media/usb/bitcoin-29.3.knots20260508-x86_64-linux-gnu.tar.gz',
          signers: [{ fingerprint: '1A3E761F19D2CC7785C5502EA291A2C45D0C504A', userId: 'Luke Dashjr' }],
          threshold: 1,
        },
      },
    });
    const wrapper = mountCard(vi.fn(), knots as typeof core);
    expect(wrapper.get('[data-test=provenance-headline]').text()).toContain(
      'Built on this node from the official Bitcoin Knots 29.3 (2026-05-08) release',
    );
    expect(wrapper.get('[data-test=provenance-source]').text()).toBe(
      'a file on this node: /media/usb/bitcoin-29.3.knots20260508-x86_64-linux-gnu.tar.gz',
    );
    expect(wrapper.get('[data-test=provenance-signed]').text()).toBe(
      'Signed by 1 pinned builder (1 required)',
    );
    wrapper.unmount();
  });

  it('for an image built from a recipe: the manifest file and the inputs digest', () => {
    const hello = appStatus('hello', {
      name: 'Hello',
      provenance: {
        ...releaseProvenance,
        reference: 'localhost/archipelago/hello:1.0.0',
        origin: {
          kind: 'recipe',
          manifestFile: '/opt/archipelago/apps/hello/manifest.yml',
          inputsSha256: 'd'.repeat(64),
        },
      },
    });
    const wrapper = mountCard(vi.fn(), hello as typeof core);
    expect(wrapper.get('[data-test=provenance-headline]').text()).toContain(
      "Built on this node from the recipe in Hello's manifest",
    );
    expect(wrapper.get('[data-test=provenance-manifest]').text()).toBe(
      '/opt/archipelago/apps/hello/manifest.yml',
    );
    expect(wrapper.get('[data-test=provenance-inputs]').text()).toBe('d'.repeat(64));
    expect(wrapper.find('[data-test=provenance-signers]').exists()).toBe(false);
    wrapper.unmount();
  });

  it('downloads the SBOM as <id>-<version>.cdx.json with exactly what the node sent, then frees the URL', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    const { blobs, clicks, revoke } = catchDownloads();
    const call = vi.fn().mockResolvedValue({
      id: 'bitcoin-core',
      version: '31.1',
      format: 'CycloneDX 1.6 JSON',
      sha256: SBOM_SHA,
      sbom: SBOM,
    });
    const wrapper = mountCard(call);
    await wrapper.get('[data-test=download-sbom]').trigger('click');
    await flushPromises();
    await vi.waitFor(() => expect(clicks).toHaveLength(1));

    expect(call).toHaveBeenCalledWith('package.sbom', { id: 'bitcoin-core' });
    expect(clicks[0]).toEqual({
      download: 'bitcoin-core-31.1.cdx.json',
      href: 'blob:node/1',
      inDocument: true,
    });
    expect(blobs).toHaveLength(1);
    expect(blobs[0]!.type).toBe('application/vnd.cyclonedx+json');
    expect(await blobs[0]!.text()).toBe(SBOM);
    // The link is gone from the page; the URL lives until the download has surely started.
    expect(document.querySelector('a[download]')).toBeNull();
    expect(revoke).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1000);
    expect(revoke).toHaveBeenCalledWith('blob:node/1');
    expect(wrapper.get('[data-test=sbom-saved]').text()).toBe(
      "Saved bitcoin-core-31.1.cdx.json; its SHA-256 matches the node's record.",
    );
    wrapper.unmount();
  });

  it('saves nothing when the SBOM does not match the SHA-256 the node recorded', async () => {
    const { clicks, blobs } = catchDownloads();
    const call = vi.fn().mockResolvedValue({
      id: 'bitcoin-core',
      version: '31.1',
      format: 'CycloneDX 1.6 JSON',
      sha256: SBOM_SHA,
      sbom: SBOM.replace('bitcoind', 'evil'),
    });
    const wrapper = mountCard(call);
    await wrapper.get('[data-test=download-sbom]').trigger('click');
    await vi.waitFor(() => expect(wrapper.find('[data-test=sbom-error]').exists()).toBe(true));
    expect(wrapper.get('[data-test=sbom-error]').text()).toMatch(
      /does not match the SHA-256 it recorded.*not saved/,
    );
    expect(clicks).toHaveLength(0);
    expect(blobs).toHaveLength(0);
    wrapper.unmount();
  });

  it('without a digest in the browser (plain http on the LAN) still saves, without claiming a check', async () => {
    vi.stubGlobal('crypto', {});
    const { clicks } = catchDownloads();
    const call = vi.fn().mockResolvedValue({
      id: 'bitcoin-knots',
      version: '29.3.knots20260508',
      format: 'CycloneDX 1.6 JSON',
      sha256: SBOM_SHA,
      sbom: SBOM,
    });
    const wrapper = mountCard(call);
    await wrapper.get('[data-test=download-sbom]').trigger('click');
    await vi.waitFor(() => expect(clicks).toHaveLength(1));
    expect(clicks[0]!.download).toBe('bitcoin-knots-29.3.knots20260508.cdx.json');
    expect(wrapper.get('[data-test=sbom-saved]').text()).toBe(
      'Saved bitcoin-knots-29.3.knots20260508.cdx.json.',
    );
    wrapper.unmount();
  });

  it("shows the daemon's refusal when it holds no SBOM", async () => {
    const call = vi
      .fn()
      .mockRejectedValue(
        new RpcError(-32002, "'bitcoin-core' runs x, which this node did not build, so it holds no SBOM"),
      );
    const wrapper = mountCard(call);
    await wrapper.get('[data-test=download-sbom]').trigger('click');
    await flushPromises();
    expect(wrapper.get('[data-test=sbom-error]').text()).toMatch(/which this node did not build/);
    expect(wrapper.get<HTMLButtonElement>('[data-test=download-sbom]').element.disabled).toBe(false);
    wrapper.unmount();
  });
});
