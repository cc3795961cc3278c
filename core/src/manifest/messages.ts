// Wording for validation failures. Zod's defaults ("Invalid input: expected number, received
// string") say neither where nor what to write instead; every message here follows one shape —
// what was expected, what was found — so a user can fix the line without opening the docs.

import type { z } from 'zod';

type RawIssue = z.core.$ZodRawIssue;

/** A value as a user would recognize it in their YAML. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (typeof value === 'string') {
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  }
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

export const quoteList = (values: readonly unknown[]): string =>
  values.map((v) => `'${String(v)}'`).join(', ');

/**
 * An `error` option for a zod schema or check: "expected <what>, got <value>", or "is required"
 * when the key is absent. Unknown keys are worded elsewhere (they need a suggestion), so the
 * option steps aside for them.
 */
export function expected(what: string): { error: (issue: RawIssue) => string | undefined } {
  return {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') return undefined;
      if (issue.input === undefined) return `is required: add ${what}`;
      return `expected ${what}, got ${describeValue(issue.input)}`;
    },
  };
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping (key: value lines)',
  record: 'a mapping (key: value lines)',
};

function rangeWords(issue: { origin: string; inclusive?: boolean }, bound: string, minimum: boolean): string {
  switch (issue.origin) {
    case 'string':
      return minimum && bound === '1'
        ? 'must not be empty'
        : `must be ${minimum ? 'at least' : 'at most'} ${bound} characters`;
    case 'array':
      return `must list ${minimum ? 'at least' : 'at most'} ${bound} item${bound === '1' ? '' : 's'}`;
    default: {
      const relation = minimum
        ? issue.inclusive === false
          ? 'greater than'
          : 'at least'
        : issue.inclusive === false
          ? 'less than'
          : 'at most';
      return `must be ${relation} ${bound}`;
    }
  }
}

/** The fallback wording for any issue a schema didn't word itself. */
export const manifestErrorMap = (issue: RawIssue): string => {
  const got = `got ${describeValue(issue.input)}`;
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined)
        return `is required: add ${TYPE_WORDS[issue.expected] ?? issue.expected}`;
      return `expected ${TYPE_WORDS[issue.expected] ?? issue.expected}, ${got}`;
    case 'invalid_value':
      if (issue.values.length === 1) return `expected ${quoteList(issue.values)}, ${got}`;
      if (issue.input === undefined) return `is required: add one of ${quoteList(issue.values)}`;
      return `expected one of ${quoteList(issue.values)}; ${got}`;
    case 'too_small':
      return `${rangeWords(issue, String(issue.minimum), true)}, ${got}`;
    case 'too_big':
      return `${rangeWords(issue, String(issue.maximum), false)}, ${got}`;
    case 'invalid_format':
      return `has the wrong format, ${got}`;
    case 'unrecognized_keys':
      return `unknown key${issue.keys.length > 1 ? 's' : ''} ${quoteList(issue.keys)}`;
    case 'invalid_key':
      return `invalid key ${describeValue(issue.input)}`;
    case 'invalid_union':
      return `does not match any allowed form, ${got}`;
    default:
      return `is invalid, ${got}`;
  }
};
