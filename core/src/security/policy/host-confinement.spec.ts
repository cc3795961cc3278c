import { describe, expect, it } from 'vitest';
import { judgeHostConfinement, parseLoadedProfiles, summarizeHostConfinement } from './host-confinement.js';

const facts = {
  apparmorKernelEnabled: true,
  apparmorEnforcedProfiles: new Set(['archy-loaded']),
  rootless: false,
  selinuxEnabled: false,
};

describe('judgeHostConfinement', () => {
  it('uses a profile only when the kernel has AppArmor, Podman would apply it, and it is loaded', () => {
    const confinement = judgeHostConfinement(facts, '/var/lib/archipelago/apparmor');
    expect(confinement.apparmor.usable).toBe(true);
    expect(confinement.apparmor.profileFor('loaded')).toBe('archy-loaded');
    expect(confinement.apparmor.profileFor('other')).toBeUndefined();
    expect(confinement.apparmor.missingProfileWarning('other')).toMatch(
      'apparmor_parser -r /var/lib/archipelago/apparmor/archy-other',
    );
    expect(confinement.warnings).toEqual([]);
  });

  it('never under rootless Podman (which refuses every profile), nor without kernel AppArmor', () => {
    const rootless = judgeHostConfinement({ ...facts, rootless: true });
    expect(rootless.apparmor.profileFor('loaded')).toBeUndefined();
    expect(rootless.warnings.join()).toMatch(/rootless Podman does not apply AppArmor profiles/);
    const off = judgeHostConfinement({ ...facts, apparmorKernelEnabled: false });
    expect(off.apparmor.profileFor('loaded')).toBeUndefined();
    expect(off.warnings.join()).toMatch(/not available/);
  });
});

describe('parseLoadedProfiles', () => {
  it('keeps profiles in enforce mode only', () => {
    const text = 'archy-a (enforce)\narchy-b (complain)\n/usr/bin/man (enforce)\nnonsense\n';
    expect([...parseLoadedProfiles(text)]).toEqual(['archy-a', '/usr/bin/man']);
  });
});

describe('summarizeHostConfinement', () => {
  it('says what is applied, and passes on why AppArmor is not', () => {
    const off = summarizeHostConfinement(judgeHostConfinement({ ...facts, apparmorKernelEnabled: false }));
    expect(off).toMatchObject({ apparmor: false, selinux: false });
    expect(off.applied).toMatch(
      /capabilities dropped, no-new-privileges.*seccomp.*; no AppArmor; no SELinux$/,
    );
    expect(off.notes).toEqual([expect.stringMatching(/the kernel has it off/)]);

    const rootless = summarizeHostConfinement(judgeHostConfinement({ ...facts, rootless: true }));
    expect(rootless.apparmor).toBe(false);
    expect(rootless.notes.join()).toMatch(/rootless Podman does not apply AppArmor profiles/);

    const full = summarizeHostConfinement(judgeHostConfinement({ ...facts, selinuxEnabled: true }));
    expect(full).toMatchObject({ apparmor: true, selinux: true, notes: [] });
    expect(full.applied).toMatch(/AppArmor profiles where loaded; SELinux labels$/);
  });
});
