// ARCHY_DEVICE_HOSTNAME, the name devices on the LAN reach this node at (Umbrel's
// DEVICE_DOMAIN_NAME, `umbrel.local`): the machine's host name as mDNS announces it, i.e. with
// `.local` added to a bare name (`archipelago` → `archipelago.local`); a name that already has a
// domain (`node.example.lan`) is kept. Read once at daemon start.

import { hostname } from 'node:os';

export function deviceHostname(name: string = hostname()): string {
  const bare = name.trim().toLowerCase().replace(/\.$/, '');
  if (bare === '') return 'localhost';
  return bare.includes('.') ? bare : `${bare}.local`;
}
