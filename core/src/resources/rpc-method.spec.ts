import { describe, expect, it } from 'vitest';
import { RpcErrorCode, type ResourcesReport } from '../kernel/index.js';
import { createRpcMethods } from '../api/rpc-methods.js';
import type { AppLifecycle } from '../orchestrator/lifecycle.js';

// The `resources` JSON-RPC method as the table binds it: params checked, the manager asked.
const info = {
  version: '0',
  dataDir: '/d',
  podman: { version: '4', rootless: true },
  startedAt: '',
  confinement: { apparmor: false, selinux: false, applied: 'none', notes: [] },
  unsignedRegistries: [],
};
const lifecycle = {} as AppLifecycle;

describe('resources RPC method', () => {
  it("answers the resource manager's report", async () => {
    const report = { apps: [] } as unknown as ResourcesReport;
    const methods = createRpcMethods({ lifecycle, info, resources: { report: async () => report } });
    await expect(methods.resources.invoke({})).resolves.toBe(report);
  });

  it('refuses params it does not take', async () => {
    const methods = createRpcMethods({
      lifecycle,
      info,
      resources: { report: async () => ({}) as ResourcesReport },
    });
    // Refused before the manager is asked (the dispatcher turns this into InvalidParams).
    await expect(async () => methods.resources.invoke({ verbose: true })).rejects.toThrow(/Unrecognized key/);
  });

  it('says plainly when the daemon has no resource manager', async () => {
    const methods = createRpcMethods({ lifecycle, info });
    await expect(methods.resources.invoke({})).rejects.toMatchObject({
      code: RpcErrorCode.InternalError,
      message: expect.stringContaining('started without a resource manager'),
    });
  });
});
