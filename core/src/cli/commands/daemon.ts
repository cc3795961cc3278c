import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { parseListenAddress } from '../../api/listen-address.js';
import { parseTrustedProxies, TRUSTED_PROXIES_ENV } from '../../api/trusted-proxy.js';
import { DEFAULT_LISTEN } from '../../daemon/options.js';
import { dataDirOption, masterKeyFileOption } from '../client-options.js';
import { CliError } from '../cli-error.js';
import { MIN_KEPT_LOG_FILE_BYTES, parseByteSize, type KeptLogLimits } from '../../logs/kept-log-limits.js';

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
    .addOption(
      new Option('--kept-logs <on|off>', "keep the apps' output in DATA_DIR/logs/<id>/ across containers")
        .choices(['on', 'off'])
        .default('on')
        .env('ARCHY_KEPT_LOGS'),
    )
    .addOption(
      new Option('--kept-log-file-size <size>', "rotate an app's kept log at this size (e.g. 10M)")
        .default('10M')
        .env('ARCHY_KEPT_LOG_FILE_SIZE'),
    )
    .addOption(
      new Option('--kept-log-files <n>', 'kept log files per app, the current one included')
        .default('5')
        .env('ARCHY_KEPT_LOG_FILES'),
    )
    .addOption(
      new Option('--kept-logs-total <size>', "all apps' kept logs together; the oldest files go first")
        .default('512M')
        .env('ARCHY_KEPT_LOGS_TOTAL'),
    )
    .action(
      async (options: {
        dataDir: string;
        listen: string;
        podmanSocket?: string;
        trustedProxy?: string;
        masterKeyFile?: string;
        keptLogs: string;
        keptLogFileSize: string;
        keptLogFiles: string;
        keptLogsTotal: string;
      }) => {
        parseListenAddress(options.listen); // refuse a bad address before starting anything
        const trustedProxies = parseTrustedProxies(options.trustedProxy);
        const keptLogLimits = parseKeptLogLimits(options);
        // Loaded here, not at the top: client commands should not pay for loading the daemon.
        const { runDaemon } = await import('../../daemon/index.js');
        await runDaemon({
          dataDir: resolve(options.dataDir),
          listen: options.listen,
          ...(options.podmanSocket ? { podmanSocket: resolve(options.podmanSocket) } : {}),
          ...(trustedProxies.length > 0 ? { trustedProxies } : {}),
          ...(options.masterKeyFile ? { masterKeyFile: resolve(options.masterKeyFile) } : {}),
          keptLogs: { enabled: options.keptLogs !== 'off', limits: keptLogLimits },
        });
      },
    );
}

/** The kept-log caps from the daemon's options, refused with the option's name when wrong. */
function parseKeptLogLimits(options: {
  keptLogFileSize: string;
  keptLogFiles: string;
  keptLogsTotal: string;
}): KeptLogLimits {
  try {
    const fileBytes = parseByteSize(options.keptLogFileSize, '--kept-log-file-size');
    const totalBytes = parseByteSize(options.keptLogsTotal, '--kept-logs-total');
    const files = Number(options.keptLogFiles);
    if (!Number.isSafeInteger(files) || files < 1) {
      throw new Error(`--kept-log-files expects a whole number of 1 or more; got '${options.keptLogFiles}'`);
    }
    if (fileBytes < MIN_KEPT_LOG_FILE_BYTES) {
      throw new Error(`--kept-log-file-size must be at least ${MIN_KEPT_LOG_FILE_BYTES / 1024}K`);
    }
    return { fileBytes, files, totalBytes };
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}
