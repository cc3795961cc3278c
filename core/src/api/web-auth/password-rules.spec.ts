import { describe, expect, it } from 'vitest';
import { passwordProblem } from './password-rules.js';

describe('passwordProblem', () => {
  it.each([
    ['short', 'Ab1!Ab1!Ab1', /too short \(11 characters\)/],
    ['one class under 16', 'abcdefghijklmn', /only one kind of character/],
    ['digits only under 16', '123456789012345', /only one kind/],
    ['too long', 'a'.repeat(1025), /too long/],
  ])('refuses %s and states the rule', (_what, password, message) => {
    const problem = passwordProblem(password);
    expect(problem).toMatch(message);
    if (password.length <= 1024) expect(problem).toMatch(/at least 12 characters/);
  });

  it.each([
    ['two classes at 12', 'correcthorse1'],
    ['a long single-class passphrase', 'correcthorsebatterystaple'],
    ['unicode letters with digits', 'pässwörtchen7'],
  ])('accepts %s', (_what, password) => {
    expect(passwordProblem(password)).toBeUndefined();
  });
});
