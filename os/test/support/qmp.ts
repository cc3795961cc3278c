import { connect, type Socket } from 'node:net';
import { once } from 'node:events';

/**
 * A minimal QEMU Machine Protocol client: enough to press the VM's power button (an ACPI event
 * the guest's systemd answers with a clean shutdown) and to stop it outright.
 */
export class Qmp {
  readonly #socket: Socket;
  #buffer = '';
  readonly #waiters: ((message: Record<string, unknown>) => void)[] = [];
  /** Answers that came before anyone asked (the greeting arrives as soon as we connect). */
  readonly #early: Record<string, unknown>[] = [];

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      let newline: number;
      while ((newline = this.#buffer.indexOf('\n')) >= 0) {
        const line = this.#buffer.slice(0, newline).trim();
        this.#buffer = this.#buffer.slice(newline + 1);
        if (!line) continue;
        const message = JSON.parse(line) as Record<string, unknown>;
        // Events (SHUTDOWN, POWERDOWN, …) are not answers.
        if ('event' in message) continue;
        const waiter = this.#waiters.shift();
        if (waiter) waiter(message);
        else this.#early.push(message);
      }
    });
    socket.on('error', () => undefined);
  }

  /** Connects and leaves the greeting's capabilities negotiation done. */
  static async connect(path: string): Promise<Qmp> {
    const socket = connect(path);
    await once(socket, 'connect');
    const qmp = new Qmp(socket);
    await qmp.#next(); // the greeting
    await qmp.execute('qmp_capabilities');
    return qmp;
  }

  async execute(command: string, args?: Record<string, unknown>): Promise<Record<string, unknown>> {
    const answer = this.#next();
    this.#socket.write(`${JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}) })}\n`);
    const message = await answer;
    if ('error' in message) throw new Error(`QMP ${command}: ${JSON.stringify(message.error)}`);
    return message;
  }

  close(): void {
    this.#socket.destroy();
  }

  #next(): Promise<Record<string, unknown>> {
    const early = this.#early.shift();
    if (early) return Promise.resolve(early);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}
