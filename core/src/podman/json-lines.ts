import { TextDecoder } from 'node:util';

/**
 * Splits a byte stream of newline-separated JSON documents (pull progress, events) into parsed
 * values. Podman does not always end the last document with a newline, so the tail is parsed
 * when the stream ends. Blank lines are skipped.
 */
export async function* parseJsonLines<T>(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<T> {
  const decoder = new TextDecoder();
  let pending = '';
  for await (const chunk of chunks) {
    pending += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line) yield JSON.parse(line) as T;
      newline = pending.indexOf('\n');
    }
  }
  const tail = (pending + decoder.decode()).trim();
  if (tail) yield JSON.parse(tail) as T;
}
