// A yes/no question at the terminal (`Install? [y/N]`). Only "y"/"yes" is a yes: Enter, anything
// else, Ctrl-D or a closed stdin is a no — an install the user did not clearly accept does not happen.

import { createInterface } from 'node:readline';

/** Whether stdin and stderr are a terminal: only then may the CLI ask. */
export const canAsk = (): boolean => process.stdin.isTTY === true && process.stderr.isTTY === true;

export async function askYesNo(
  question: string,
  io: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream } = {
    input: process.stdin,
    output: process.stderr,
  },
): Promise<boolean> {
  const reader = createInterface({ input: io.input, output: io.output, terminal: false });
  io.output.write(`${question} [y/N] `);
  try {
    const answer = await new Promise<string>((resolve) => {
      reader.once('line', resolve);
      reader.once('close', () => resolve(''));
    });
    return /^\s*(y|yes)\s*$/i.test(answer);
  } finally {
    reader.close();
  }
}
