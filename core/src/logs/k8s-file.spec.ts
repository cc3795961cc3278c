import { describe, expect, it } from 'vitest';
import { LineAssembler, parseK8sRecord } from './k8s-file.js';

describe('parseK8sRecord', () => {
  it('reads conmon records, keeping nanoseconds, in UTC', () => {
    expect(parseK8sRecord('2026-12-06T22:45:39.064851700+00:00 stdout F line-1')).toEqual({
      time: '2026-12-06T22:45:39.064851700Z',
      stream: 'stdout',
      partial: false,
      text: 'line-1',
    });
    expect(parseK8sRecord('2026-12-06T23:45:39.5+01:00 stderr P  two  spaces')).toEqual({
      time: '2026-12-06T22:45:39.500000000Z',
      stream: 'stderr',
      partial: true,
      text: ' two  spaces',
    });
    expect(parseK8sRecord('2026-12-06T22:45:39Z stdout F ')?.text).toBe('');
  });

  it('skips what is not a record', () => {
    expect(parseK8sRecord('hello')).toBeUndefined();
    expect(parseK8sRecord('2026-12-06T22:45:39Z stdin F x')).toBeUndefined();
  });
});

describe('LineAssembler', () => {
  const record = (stream: 'stdout' | 'stderr', partial: boolean, text: string, time = 't1') => ({
    time,
    stream,
    partial,
    text,
  });

  it('joins partial pieces per stream, with the time of the first piece', () => {
    const lines = new LineAssembler();
    expect(lines.push(record('stdout', true, 'ab', 't1'))).toBeUndefined();
    expect(lines.pending).toBe(true);
    expect(lines.push(record('stderr', false, 'err', 't2'))).toEqual({
      time: 't2',
      stream: 'stderr',
      text: 'err',
    });
    expect(lines.push(record('stdout', false, 'cd', 't3'))).toEqual({
      time: 't1',
      stream: 'stdout',
      text: 'abcd',
    });
    expect(lines.pending).toBe(false);
  });

  it('flushes an unterminated last line as it is', () => {
    const lines = new LineAssembler();
    lines.push(record('stdout', true, 'partial'));
    expect(lines.flush()).toEqual([{ time: 't1', stream: 'stdout', text: 'partial' }]);
    expect(lines.pending).toBe(false);
  });
});
