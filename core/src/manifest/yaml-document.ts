// Reading manifest YAML safely, and finding where in the text a value came from. The parse is
// defensive because manifests come from users and catalogs: a size cap, one document only, no
// custom tags, and alias expansion capped so a "billion laughs" file fails in microseconds.

import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  visit,
  type Alias,
  type Document,
  type YAMLError,
} from 'yaml';
import { ManifestError } from './errors.js';

/** Manifests are a page of YAML; anything this large is a mistake or an attack. */
export const MAX_MANIFEST_BYTES = 256 * 1024;

/**
 * How many times aliases may be expanded (weighted by nesting, as the yaml package counts).
 * Enough to reuse a block a few times; far too few for exponential expansion.
 */
export const MAX_ALIAS_EXPANSIONS = 32;

// A file with thousands of errors (deep nesting, binary junk) needs only the first few shown.
const MAX_REPORTED_YAML_ERRORS = 20;

export interface SourcePosition {
  line: number;
  col: number;
}

/** A parsed manifest document: its plain value, and a way back from a path to line:col. */
export class ManifestYaml {
  constructor(
    private readonly doc: Document.Parsed,
    private readonly lineCounter: LineCounter,
    readonly value: unknown,
  ) {}

  /**
   * Where `path` is in the text. `at: 'key'` points at the last segment's key rather than its
   * value. A path that leaves the document (a missing key) points at the deepest node that
   * exists — for a missing key, the mapping it should be in.
   */
  locate(path: readonly PropertyKey[], at: 'key' | 'value' = 'value'): SourcePosition {
    let node: unknown = this.doc.contents;
    let offset = startOf(node) ?? 0;
    for (const [index, segment] of path.entries()) {
      node = this.resolve(node);
      let next: unknown;
      if (isMap(node)) {
        const pair = node.items.find((item) => keyText(item.key) === String(segment));
        if (pair === undefined) break;
        const keyOffset = startOf(pair.key) ?? offset;
        if (at === 'key' && index === path.length - 1) {
          offset = keyOffset;
          break;
        }
        // `key:` with nothing after it: the key is the place to point at.
        const valueOffset = isEmptyScalar(pair.value) ? undefined : startOf(pair.value);
        offset = valueOffset ?? keyOffset;
        next = pair.value;
      } else if (isSeq(node) && typeof segment === 'number') {
        next = node.items[segment];
        if (next === undefined) break;
        offset = startOf(next) ?? offset;
      } else {
        break;
      }
      node = next;
    }
    return this.lineCounter.linePos(offset);
  }

  private resolve(node: unknown): unknown {
    // Following an alias is safe here: the document already passed the expansion cap.
    return isAlias(node) ? node.resolve(this.doc) : node;
  }
}

const startOf = (node: unknown): number | undefined =>
  node !== null && typeof node === 'object' && 'range' in node && Array.isArray(node.range)
    ? (node.range[0] as number)
    : undefined;

const keyText = (key: unknown): string => (isScalar(key) ? String(key.value) : String(key));

const isEmptyScalar = (node: unknown): boolean => isScalar(node) && node.value === null && node.source === '';

/** Parses manifest text into one YAML mapping, or throws ManifestError saying where it isn't. */
export function readManifestYaml(text: string, file: string): ManifestYaml {
  const refuse = (line: number, col: number, message: string): never => {
    throw new ManifestError([{ file, line, col, path: '', message }]);
  };

  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_MANIFEST_BYTES) {
    refuse(
      0,
      0,
      `the manifest is ${Math.ceil(bytes / 1024)} KiB; manifests are limited to ${MAX_MANIFEST_BYTES / 1024} KiB`,
    );
  }

  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    // YAML 1.2's core schema: `yes` stays a string, `<<` is an ordinary (unknown) key.
    version: '1.2',
    schema: 'core',
    merge: false,
  });
  const first = documents[0];
  if (first === undefined)
    return refuse(1, 1, 'the manifest is empty; it needs at least id, name, version and image');

  if (documents.length > 1) {
    const second = lineCounter.linePos(documents[1]!.range[0]);
    refuse(
      second.line,
      second.col,
      `a manifest is one YAML document, but this file has ${documents.length}; remove the '---' separator and what follows`,
    );
  }

  const problems = [
    ...first.errors.map((error) => describeYamlError(error, first, text, 'error')),
    ...first.warnings.map((warning) => describeYamlError(warning, first, text, 'warning')),
  ];
  if (problems.length > 0) {
    throw new ManifestError(
      problems.slice(0, MAX_REPORTED_YAML_ERRORS).map(({ offset, message }) => ({
        file,
        ...lineCounter.linePos(offset),
        path: '',
        message,
      })),
    );
  }

  if (!isMap(first.contents)) {
    const at = lineCounter.linePos(startOf(first.contents) ?? 0);
    const found = isSeq(first.contents) ? 'a list' : 'a single value';
    refuse(
      at.line,
      at.col,
      `the top level must be a mapping of fields (id:, name:, image: ...), found ${found}`,
    );
  }

  let value: unknown;
  try {
    value = first.toJS({ maxAliasCount: MAX_ALIAS_EXPANSIONS });
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    const alias = firstAlias(first, error.message);
    const at = lineCounter.linePos(alias?.range?.[0] ?? 0);
    refuse(
      at.line,
      at.col,
      /Excessive alias count/.test(error.message)
        ? `too many alias expansions (more than ${MAX_ALIAS_EXPANSIONS}); this looks like a YAML bomb — write the values out instead of nesting aliases`
        : `${error.message.replace(/\.$/, '')}; define the anchor (&name) before using *name`,
    );
  }
  return new ManifestYaml(first, lineCounter, value);
}

function describeYamlError(
  error: YAMLError,
  doc: Document.Parsed,
  text: string,
  severity: 'error' | 'warning',
): { offset: number; message: string } {
  const [start, end] = error.pos;
  switch (error.code) {
    case 'DUPLICATE_KEY':
      return {
        offset: start,
        message: `duplicate key '${keyAt(doc, start) ?? text.slice(start, end)}'; a key may appear only once in a mapping`,
      };
    case 'TAG_RESOLVE_FAILED':
      return {
        offset: start,
        message: `unsupported YAML tag '${text.slice(start, end)}'; manifests use plain values, remove the tag`,
      };
    default:
      return {
        offset: start,
        message: `${severity === 'error' ? 'invalid YAML' : 'unsupported YAML'}: ${error.message.replace(/\.$/, '')}`,
      };
  }
}

/** The text of the mapping key that starts at `offset`. */
function keyAt(doc: Document.Parsed, offset: number): string | undefined {
  let found: string | undefined;
  visit(doc, {
    Pair(_key, pair) {
      if (startOf(pair.key) !== offset) return undefined;
      found = keyText(pair.key);
      return visit.BREAK;
    },
  });
  return found;
}

/** The alias an alias error is about: the one it names, else the first in the document. */
function firstAlias(doc: Document.Parsed, message: string): Alias | undefined {
  let found: Alias | undefined;
  visit(doc, {
    Alias(_key, node) {
      if (found === undefined || message.endsWith(`: ${node.source}`)) found = node;
      if (message.endsWith(`: ${node.source}`)) return visit.BREAK;
      return undefined;
    },
  });
  return found;
}
