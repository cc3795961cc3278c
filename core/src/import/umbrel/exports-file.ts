// Reads an Umbrel app's exports.sh as text — it is never run. Umbrel sources these scripts to
// set the variables the app's compose file (and its dependents') use. Only a top-level literal
// `export NAME="value"` is taken as a value; anything the script computes (a command
// substitution, an `if`, a loop) is recorded by name only, so a use of it is refused with the
// reason rather than guessed. One computation is recognized: `$(derive_entropy …)`, Umbrel's
// per-app generated secret, which maps onto the app's own generated seed.

export interface ExportsFile {
  /** NAME → the literal value as written (it may still contain `${OTHER}`). */
  literal: Map<string, string>;
  /** Names the script computes: 'derived-secret' (derive_entropy) or 'computed'. */
  computed: Map<string, 'derived-secret' | 'computed'>;
}

const EXPORT_LINE = /^(\s*)export\s+([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/;

/** The value of a literal assignment, or undefined when the shell would compute it. */
function literalValue(text: string): string | undefined {
  const value = text.replace(/\s+#.*$/, '').trim();
  if (value.includes('$(') || value.includes('`')) return undefined;
  const double = /^"([^"\\]*)"$/.exec(value);
  if (double) return double[1];
  const single = /^'([^']*)'$/.exec(value);
  // Single quotes: no expansion at all; a `$` in it stays literal, written as `$$` for our reader.
  if (single) return single[1]!.replaceAll('$', () => '$$');
  if (/^[^\s"'|;&<>()]*$/.test(value)) return value;
  return undefined;
}

export function readExportsFile(source: string): ExportsFile {
  const literal = new Map<string, string>();
  const computed = new Map<string, 'derived-secret' | 'computed'>();
  for (const line of source.split('\n')) {
    const match = EXPORT_LINE.exec(line);
    if (!match) continue;
    const [, indent = '', name = '', assigned] = match;
    if (literal.has(name)) continue; // the first top-level value is the default; later ones are conditional
    const value = assigned === undefined ? undefined : literalValue(assigned);
    if (indent === '' && value !== undefined) {
      literal.set(name, value);
      computed.delete(name);
    } else if (assigned !== undefined && assigned.includes('derive_entropy'))
      computed.set(name, 'derived-secret');
    else if (!computed.has(name)) computed.set(name, 'computed');
  }
  return { literal, computed };
}
