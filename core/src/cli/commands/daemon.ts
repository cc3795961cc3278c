import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { parseListenAddress } from '../../api/listen-address.js';
import { parseTrustedProxies, TRUSTED_PROXIES_ENV } from '../../api/trusted-proxy.js';
import { DEFAULT_LISTEN } from '../../daemon/options.js';
import { dataDirOption, masterKeyFileOption } from '../client-options.js';

/** `archy daemon`: runs the daemon in the foreground until SIGINT/SIGTERM. */
export function registerDaemonCommand(program: Command): void {
  program
    .command('daemon')
    .description('run the daemon in the foreground: API, web UI and app supervision')
    .addOption(dataDirOption())
    .addOption(new Option('--listen <host:port>', 'where to serve the API and UI').default(DEFAULT_LISTEN))
    .addOption(
      new Option(
        '--podman-socket <path>',
        'a rootless Podman API socket to use (default: start and own `podman system service`)',
      ).env('ARCHY_PODMAN_SOCKET'),
    )
    .addOption(
      new Option(
        '--trusted-proxy <addresses>',
        'comma-separated IPs/CIDR ranges of reverse proxies whose X-Forwarded-For/-Proto to believe (default: none)',
      ).env(TRUSTED_PROXIES_ENV),
    )
    .addOption(masterKeyFileOption())
    .action(
      async (options: {
        dataDir: string;
        listen: string;
        podmanSocket?: string;
        trustedProxy?: string;
        masterKeyFile?: string;
      }) => {
        parseListenAddress(options.listen); // refuse a bad address before starting anything
        const trustedProxies = parseTrustedProxies(options.trustedProxy);
        // Loaded here, not at the top: client commands should not pay for loading the daemon.
        const { runDaemon } = await import('../../daemon/index.js');
        await runDaemon({
          dataDir: resolve(options.dataDir),
          listen: options.listen,
          ...(options.podmanSocket ? { podmanSocket: resolve(options.podmanSocket) } : {}),
          ...(trustedProxies.length > 0 ? { trustedProxies } : {}),
          ...(options.masterKeyFile ? { masterKeyFile: resolve(options.masterKeyFile) } : {}),
        });
      },
    );
}
