import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createProgress } from './progress.ts';

function fakeStream(isTTY: boolean) {
  const stream = new PassThrough();
  let written = '';
  stream.on('data', (d: Buffer) => (written += d.toString()));
  const tty = Object.assign(stream, {
    isTTY,
    columns: 100,
    cursorTo: () => true,
    clearLine: () => true,
    clearScreenDown: () => true,
    moveCursor: () => true,
  });
  return { stream: tty as unknown as NodeJS.WriteStream, output: () => written };
}

describe('createProgress', () => {
  it('when stderr is not a terminal (a pipe, CI), then nothing is drawn', () => {
    const { stream, output } = fakeStream(false);
    const bar = createProgress('verify', 100, { stream });
    bar.update(50);
    bar.stop();
    expect(output()).toBe('');
  });

  it('when stderr is a terminal, then a bar with the label and counts is drawn', async () => {
    const { stream, output } = fakeStream(true);
    const bar = createProgress('export', 200, { stream, unit: 'events' });
    bar.update(200);
    bar.stop();
    await new Promise((r) => setImmediate(r));
    expect(output()).toContain('export');
    expect(output()).toContain('200/200 events');
  });
});
