import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, readFile } from 'node:fs/promises';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Qmp } from './qmp.js';

/** Debian's OVMF (package ovmf): UEFI firmware for the VM, code read-only, variables per VM. */
const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';

export interface PortForward {
  /** The guest's TCP port. */
  guest: number;
  /** Where it appears on the host (127.0.0.1 only). */
  host: number;
}

export interface GuestForward {
  /** An address the guest connects to (inside QEMU's user network, 10.0.2.0/24). */
  guestAddress: string;
  guestPort: number;
  /** Where QEMU connects it to on the host (127.0.0.1 only). */
  hostPort: number;
}

export interface VmOptions {
  disk: string;
  /** The VM's own folder: firmware variables, serial log, QMP socket. */
  workDir: string;
  forwards: PortForward[];
  guestForwards?: GuestForward[];
  memoryMiB?: number;
}

/** A free TCP port on 127.0.0.1 (asked of the kernel, then released for QEMU to take). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * One Archipelago OS machine under QEMU with software emulation (TCG: no KVM here). Its network
 * is QEMU's user network with `restrict=on`: the guest reaches nothing outside, only the ports
 * forwarded explicitly in either direction. Its first serial port is a file (the kernel's and
 * systemd's console); stopping it always ends the QEMU process.
 */
export class Vm {
  readonly #options: VmOptions;
  readonly serialLog: string;
  readonly #qmpPath: string;
  #process: ChildProcess | undefined;
  #boots = 0;

  private constructor(options: VmOptions) {
    this.#options = options;
    this.serialLog = join(options.workDir, 'serial.log');
    this.#qmpPath = join(options.workDir, 'qmp.sock');
  }

  /** Makes the firmware's variable store; does not start the machine. */
  static async create(options: VmOptions): Promise<Vm> {
    await copyFile(OVMF_VARS, join(options.workDir, 'OVMF_VARS.fd'));
    return new Vm(options);
  }

  get running(): boolean {
    return (
      this.#process !== undefined && this.#process.exitCode === null && this.#process.signalCode === null
    );
  }

  /** Powers the machine on (a new QEMU process; the disk and firmware variables persist). */
  async start(): Promise<void> {
    if (this.running) throw new Error('the VM is already running');
    this.#boots += 1;
    const { workDir, disk, forwards, guestForwards = [], memoryMiB = 2048 } = this.#options;
    const hostfwd = forwards.map((f) => `hostfwd=tcp:127.0.0.1:${f.host}-:${f.guest}`);
    // One relay process per guest connection (tcp-bridge.mjs says why not a plain tcp: target).
    const bridge = join(import.meta.dirname, 'tcp-bridge.mjs');
    const guestfwd = guestForwards.map(
      (f) => `guestfwd=tcp:${f.guestAddress}:${f.guestPort}-cmd:${process.execPath} ${bridge} ${f.hostPort}`,
    );
    const args = [
      '-machine', 'q35', '-accel', 'tcg,thread=multi', '-cpu', 'max', '-smp', '2', '-m', String(memoryMiB),
      '-nodefaults', '-no-user-config', '-display', 'none', '-vga', 'none',
      '-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${OVMF_CODE}`,
      '-drive', `if=pflash,format=raw,unit=1,file=${join(workDir, 'OVMF_VARS.fd')}`,
      '-drive', `file=${disk},format=raw,if=virtio,cache=unsafe,discard=unmap`,
      '-netdev', ['user', 'id=net0', 'restrict=on', ...hostfwd, ...guestfwd].join(','),
      '-device', 'virtio-net-pci,netdev=net0,romfile=',
      '-device', 'virtio-rng-pci',
      // Append: one log across boots, each boot's part marked by the test.
      '-chardev', `file,id=serial0,path=${this.serialLog},append=on`, '-serial', 'chardev:serial0',
      '-qmp', `unix:${this.#qmpPath},server=on,wait=off`,
      // For scripts/check-os-image.sh's clean-up, should this process die without ending QEMU.
      '-pidfile', join(workDir, 'qemu.pid'),
    ]; // prettier-ignore
    this.#process = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    this.#process.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    // QEMU fails fast on a bad option or a busy port: surface that, not a later timeout.
    await sleep(1000);
    if (!this.running) throw new Error(`qemu-system-x86_64 stopped at once: ${stderr.trim()}`);
  }

  /** How many times the machine was powered on. */
  get boots(): number {
    return this.#boots;
  }

  /**
   * Presses the power button and waits until the guest has shut down and QEMU has ended: a clean
   * shutdown, as a person pressing the node's button would get. QEMU is killed after the timeout.
   */
  async powerOff(timeoutMs = 180_000): Promise<void> {
    const child = this.#process;
    if (!child || !this.running) return;
    const exited = once(child, 'exit');
    try {
      const qmp = await Qmp.connect(this.#qmpPath);
      try {
        await qmp.execute('system_powerdown');
      } finally {
        qmp.close();
      }
      await Promise.race([
        exited,
        sleep(timeoutMs).then(() => Promise.reject(new Error('no clean shutdown'))),
      ]);
    } catch (error) {
      await this.kill();
      throw error;
    }
  }

  /** Ends QEMU at once (power cut). Safe to call when it is not running. */
  async kill(): Promise<void> {
    const child = this.#process;
    if (!child || !this.running) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  /** The serial console so far. */
  async console(): Promise<string> {
    return readFile(this.serialLog, 'utf8').catch(() => '');
  }
}
