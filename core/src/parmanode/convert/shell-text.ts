// Reading bash as text, never running it: logical lines (backslash continuations joined, comments
// dropped), simple `name=value` assignments substituted, and words split the way the shell would
// split a plain command line (quotes kept together). Good enough for the commands Parmanode's
// modules write out literally (`docker run …`, `curl -LO …`); anything computed at run time stays
// as the `$variable` text, and the converter says a person must decide it.

/** One command line of a file: its text and the line of the file it starts on (1-based). */
export interface LogicalLine {
  text: string;
  line: number;
}

/** Joins `\`-continued lines and drops comment lines; heredoc bodies stay lines of their own. */
export function logicalLines(source: string): LogicalLine[] {
  const raw = source.replace(/\r\n/g, '\n').split('\n');
  const out: LogicalLine[] = [];
  let pending: LogicalLine | undefined;
  raw.forEach((text, index) => {
    const trimmed = text.trim();
    if (pending === undefined && trimmed.startsWith('#')) return;
    const continued = /(^|[^\\])\\$/.test(text);
    const piece = continued ? text.slice(0, -1) : text;
    if (pending) pending.text += ` ${piece.trim()}`;
    else pending = { text: piece, line: index + 1 };
    if (!continued) {
      out.push(pending);
      pending = undefined;
    }
  });
  if (pending) out.push(pending);
  return out;
}

const ASSIGNMENT =
  /^\s*(?:export\s+|local\s+)?([A-Za-z_][A-Za-z0-9_]*)=("([^"$`]*)"|'([^']*)'|([^\s;"'$`]+))\s*(?:;|$|#)/;

/**
 * The module's literal assignments (`version="1.9.1"`), first one wins: later ones are usually
 * branches (`if Mac … else …`) the converter cannot choose between.
 */
export function literalAssignments(lines: readonly LogicalLine[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const { text } of lines) {
    const match = ASSIGNMENT.exec(text);
    if (!match) continue;
    const value = match[3] ?? match[4] ?? match[5] ?? '';
    if (!found.has(match[1]!)) found.set(match[1]!, value);
  }
  return found;
}

/** `$name` / `${name}` replaced by a literal assignment; `$HOME` becomes `~` (Parmanode's user's home). */
export function substitute(text: string, vars: ReadonlyMap<string, string>): string {
  return text
    .replace(/\$\{?HOME\}?(?![A-Za-z0-9_])/g, '~')
    .replace(
      /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
      (whole, a?: string, b?: string) => {
        const value = vars.get((a ?? b)!);
        return value ?? whole;
      },
    );
}

/** Splits a command line into words: quotes group and are removed, `;`, `&&`, `||`, `|` end a command. */
export function splitCommands(text: string): string[][] {
  const commands: string[][] = [];
  let words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  const endWord = () => {
    if (inWord) words.push(word);
    word = '';
    inWord = false;
  };
  const endCommand = () => {
    endWord();
    if (words.length > 0) commands.push(words);
    words = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else word += c;
      continue;
    }
    if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '>' || c === '<') {
      // A redirection (`>$dn`, `2>&1`, `>> log`) is not a word of the command: drop it, its fd
      // number and its target.
      if (/^\d+$/.test(word)) {
        word = '';
        inWord = false;
      } else endWord();
      while (text[i + 1] === '>' || text[i + 1] === '&') i++;
      while (text[i + 1] === ' ') i++;
      while (i + 1 < text.length && !/[\s;|&]/.test(text[i + 1]!)) i++;
    } else if (c === ' ' || c === '\t') endWord();
    else if (c === ';' || c === '|' || c === '&') {
      endCommand();
      if (text[i + 1] === c) i++;
    } else if (c === '#' && !inWord) break;
    else {
      word += c;
      inWord = true;
    }
  }
  endCommand();
  return commands;
}
