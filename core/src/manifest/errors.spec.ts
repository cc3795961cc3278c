import { describe, expect, it } from 'vitest';
import { formatIssue, formatIssues, ManifestError, type ManifestIssue } from './errors.js';

const issue = (overrides: Partial<ManifestIssue>): ManifestIssue => ({
  file: 'hello.yml',
  line: 7,
  col: 5,
  path: 'ports[0].host',
  message: 'expected an integer from 1 to 65535, got "abc"',
  ...overrides,
});

describe('formatIssue', () => {
  it('writes file:line:col: path: message', () => {
    expect(formatIssue(issue({}))).toBe(
      'hello.yml:7:5: ports[0].host: expected an integer from 1 to 65535, got "abc"',
    );
  });

  it('adds the suggestion, and leaves out an empty path and a missing position', () => {
    expect(formatIssue(issue({ path: 'imgae', message: "unknown key 'imgae'", suggestion: 'image' }))).toBe(
      "hello.yml:7:5: imgae: unknown key 'imgae' (did you mean 'image'?)",
    );
    expect(formatIssue(issue({ line: 0, col: 0, path: '', message: 'too large' }))).toBe(
      'hello.yml: too large',
    );
  });
});

describe('ManifestError', () => {
  it('leads with the earliest issue in the file and counts the rest', () => {
    const late = issue({
      line: 9,
      col: 1,
      path: 'helth',
      message: "unknown key 'helth'",
      suggestion: 'health',
    });
    const early = issue({ line: 2, col: 7 });
    const error = new ManifestError([late, early]);
    expect(error.message).toBe(
      'hello.yml:2:7: ports[0].host: expected an integer from 1 to 65535, got "abc" (+1 more)',
    );
    expect(error.issues).toEqual([early, late]);
    expect(error.name).toBe('ManifestError');
    expect(formatIssues(error.issues)).toBe(
      `hello.yml:2:7: ports[0].host: expected an integer from 1 to 65535, got "abc"\n` +
        `hello.yml:9:1: helth: unknown key 'helth' (did you mean 'health'?)`,
    );
  });

  it('needs at least one issue', () => {
    expect(() => new ManifestError([])).toThrow(TypeError);
  });
});
