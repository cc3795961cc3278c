// The helper process the daemon starts inside the rootless user namespace
// (`podman unshare node app-tree-helper.js`, see app-tree-client.ts) to read and write app data
// that belongs to a container's sub-uid. One request as JSON on stdin, one reply as JSON on stdout.
// Built as its own small bundle (dist/bundle/app-tree-helper.mjs): it imports nothing of the
// daemon's but app-tree-ops.ts and util/no-follow.ts.
//
// Not imported by anything: running it is its only use.

import { runAppTreeRequest, type AppTreeRequest, type BecomeOwner } from './app-tree-ops.js';

/**
 * Drops root of the namespace for the tree's owner: supplementary groups, gid, then uid (after
 * which no capability is left). Owner 0 is the daemon's own user: nothing to drop to.
 */
const becomeOwner: BecomeOwner = ({ uid, gid }) => {
  if (uid === 0 || gid === 0) return;
  process.setgroups!([]);
  process.setgid!(gid);
  process.setuid!(uid);
};

async function main(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as AppTreeRequest;
  process.stdout.write(`${JSON.stringify(runAppTreeRequest(request, becomeOwner))}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`app-tree-helper: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
