// The confinement of a script run, line by line: each flag here is one thing the script cannot do.

import { describe, expect, it } from 'vitest';
import { answersInput, DEFAULT_RUNNER_IMAGE, parseRunTimeout, runnerPodmanArgs } from './runner-args.js';
import { parseImageReference } from '../../manifest/index.js';

const base = {
  containerName: 'archy-parmanode-run-abc',
  script: '/home/u/scripts/setup.sh',
  scriptArgs: ['--fast', 'x y'],
  dataDir: '/home/u/data',
  network: false,
  image: 'registry.example/bash:5@sha256:' + 'a'.repeat(64),
};

/** The value after each occurrence of `flag`. */
const values = (args: string[], flag: string): string[] =>
  args.flatMap((a, i) => (a === flag ? [args[i + 1]!] : []));

describe('runnerPodmanArgs', () => {
  it('mounts only the data dir (rw) and the script (ro), drops every capability and privilege gain', () => {
    const args = runnerPodmanArgs(base);
    expect(values(args, '--volume')).toEqual([
      '/home/u/data:/data:rw',
      '/home/u/scripts/setup.sh:/parmanode/setup.sh:ro',
    ]);
    expect(values(args, '--cap-drop')).toEqual(['ALL']);
    expect(values(args, '--security-opt')).toEqual(['no-new-privileges']);
    expect(values(args, '--userns')).toEqual(['keep-id']);
    expect(values(args, '--network')).toEqual(['none']);
    expect(args).toContain('--read-only');
    expect(args).toContain('--rm');
    expect(values(args, '--tmpfs')).toEqual(['/tmp:rw,nosuid,nodev,size=256m']);
    expect(args).not.toContain('--privileged');
    expect(args.some((a) => /^--(pid|ipc|uts)/.test(a))).toBe(false); // Podman's private defaults
    expect(values(args, '--label')).toEqual([
      'io.archipelago.purpose=parmanode-run',
      'io.archipelago.parmanode-data=/home/u/data',
    ]);
  });

  it('runs bash on the script with its arguments, HOME=/data, after the image', () => {
    const args = runnerPodmanArgs(base);
    expect(values(args, '--entrypoint')).toEqual(['bash']);
    expect(values(args, '--env')).toEqual(['HOME=/data']);
    expect(args.slice(args.indexOf(base.image))).toEqual([
      base.image,
      '/parmanode/setup.sh',
      '--fast',
      'x y',
    ]);
  });

  it('asks for a network of its own that cannot reach the host loopback; no data dir is an empty tmpfs', () => {
    const args = runnerPodmanArgs({ ...base, network: true, dataDir: undefined });
    expect(values(args, '--network')).toEqual(['slirp4netns:allow_host_loopback=false']);
    expect(values(args, '--volume')).toEqual(['/home/u/scripts/setup.sh:/parmanode/setup.sh:ro']);
    expect(values(args, '--tmpfs')).toContain('/data:rw,nosuid,nodev,size=256m');
    expect(values(args, '--label')).toEqual(['io.archipelago.purpose=parmanode-run']);
  });
});

describe('the default image', () => {
  it('is pinned by digest', () => {
    const ref = parseImageReference(DEFAULT_RUNNER_IMAGE);
    expect(ref.ok && ref.value.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});

describe('parseRunTimeout and answersInput', () => {
  it('reads durations; refuses nonsense and zero', () => {
    expect(parseRunTimeout('30s')).toBe(30_000);
    expect(parseRunTimeout('5m')).toBe(300_000);
    expect(parseRunTimeout('1h')).toBe(3_600_000);
    expect(parseRunTimeout('250ms')).toBe(250);
    expect(parseRunTimeout('12')).toBe(12_000);
    expect(parseRunTimeout('soon')).toBeUndefined();
    expect(parseRunTimeout('0s')).toBeUndefined();
  });

  it('one answer per line, then end of input; none is an empty stdin', () => {
    expect(answersInput(['yes', 'mainnet'])).toBe('yes\nmainnet\n');
    expect(answersInput([])).toBe('');
  });
});
