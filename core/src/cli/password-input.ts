import { CliError } from './cli-error.js';

// Reading a password for `archy web password`: typed twice at a terminal without echo, or read
// from stdin (--stdin) for scripts. Never from an argument: those end up in shell history and in
// every user's `ps`.

/** The password from stdin: everything up to EOF, less one trailing newline. */
export async function readPasswordFromStdin(input: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of input) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    // Far beyond any password; stops `archy web password --stdin < /dev/zero` from eating memory.
    if (size > 64 * 1024) throw new CliError('stdin holds more than 64 KiB: pipe just the password');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** Asks twice at the terminal, without echo; refuses when the two differ. */
export async function promptNewPassword(): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    throw new CliError(
      'stdin is not a terminal, so the password cannot be asked for: pass --stdin and pipe it in',
    );
  }
  const first = await promptHidden('New web password: ');
  const second = await promptHidden('Repeat it: ');
  if (first !== second) throw new CliError('the two passwords differ; nothing was changed');
  return first;
}

/** One line from the terminal in raw mode, echoing nothing. Ctrl-C and Ctrl-D cancel. */
export function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  const stderr = process.stderr;
  stderr.write(question);
  return new Promise((resolve, reject) => {
    let text = '';
    const wasRaw = stdin.isRaw;
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const finish = (error?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      stderr.write('\n');
      if (error) reject(error);
      else resolve(text);
    };
    const onData = (data: string) => {
      for (const char of data) {
        if (char === '\r' || char === '\n') return finish();
        if (char === '\u0003' || char === '\u0004')
          return finish(new CliError('cancelled; nothing was changed'));
        if (char === '\u007f' || char === '\b') text = [...text].slice(0, -1).join('');
        else if (char >= ' ') text += char;
      }
    };
    stdin.on('data', onData);
  });
}
