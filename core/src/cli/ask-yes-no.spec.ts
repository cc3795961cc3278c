import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { askYesNo } from './ask-yes-no.js';

async function answer(text: string | undefined): Promise<{ yes: boolean; asked: string }> {
  const input = new PassThrough();
  const output = new PassThrough();
  let asked = '';
  output.on('data', (chunk: Buffer) => (asked += chunk.toString()));
  const pending = askYesNo('Install?', { input, output });
  if (text === undefined) input.end();
  else input.write(text);
  return { yes: await pending, asked };
}

describe('askYesNo', () => {
  it('takes only y or yes as a yes', async () => {
    expect((await answer('y\n')).yes).toBe(true);
    expect((await answer(' YES \n')).yes).toBe(true);
    expect((await answer('\n')).yes).toBe(false);
    expect((await answer('no\n')).yes).toBe(false);
    expect((await answer('yess\n')).yes).toBe(false);
  });

  it('is a no when stdin closes without an answer, and shows the default', async () => {
    const { yes, asked } = await answer(undefined);
    expect(yes).toBe(false);
    expect(asked).toBe('Install? [y/N] ');
  });
});
