// What to quote of an app's output when it exits right after starting.
//
// The last few lines are often bitcoind's shutdown chatter, while the line that says why sits a
// dozen lines up ("Error: …", "Corrupted block database detected"); so the decisive lines are
// picked out of a longer tail. And bitcoind's own advice to restart with -reindex is not passed
// on unless the version guard approved that reindex: on a datadir a newer version created, an
// older version's -reindex was seen to wipe the chain for good (see ARCHITECTURE.md).

/** How many lines of output to read, and at most how many to quote. */
export const EXIT_OUTPUT_TAIL = 60;
const QUOTED_LINES = 6;
const QUOTED_CHARS = 900;

// Lines that say why a program stopped; bitcoind's InitError lines start with "Error:".
const DECISIVE =
  /\b(error|fatal|corrupt(ed)?|cannot|can't|could not|couldn't|failed|refus\w*|unsupported|incompatible|invalid|denied|no such file|no space|please restart|aborted|panic)\b/i;

// bitcoind's ways of advising a rebuild: "Please restart with -reindex or -reindex-chainstate to
// recover.", "Please restart with -reindex-chainstate.", "You need to rebuild the database using
// -reindex to go back to unpruned mode.", "Use full -reindex instead."
const REINDEX_FLAG = /-reindex(-chainstate)?\b/g;
/** A sentence that is only the advice, with nothing else to say. */
const PURE_ADVICE = /^\s*:?\s*(please\s+)?(re)?start with\b|^\s*use full\b/i;
const SENTENCE = /[^.]+(?:\.+|$)/g;
const TIMESTAMP = /^\s*\d{4}-\d\d-\d\dT[\d:.]+Z\s*/;

export interface ExitOutput {
  /** The lines to show, in the order they were printed. */
  lines: string[];
  /** Set when advice to reindex was left out: what the user reads instead. */
  withheldAdvice?: string;
}

/**
 * Picks what to quote from the tail of an app's output. `approvedArgs` are the one-time start
 * arguments the guard approved for this start (a confirmed downgrade's `-reindex-chainstate`);
 * for a Bitcoin node any other reindex advice is cut out of the quoted lines.
 */
export function decisiveExitOutput(
  tail: readonly string[],
  options: { bitcoin: boolean; approvedArgs?: readonly string[] },
): ExitOutput {
  const lines = tail.map((line) => line.trimEnd()).filter((line) => line.trim() !== '');
  const decisive = lines.filter((line) => DECISIVE.test(line));
  const chosen = dedupe(decisive.length > 0 ? decisive : lines).slice(-QUOTED_LINES);
  if (!options.bitcoin) return { lines: chosen };

  const approved = new Set(options.approvedArgs ?? []);
  let withheld = false;
  const unapproved = (text: string): boolean =>
    (text.match(REINDEX_FLAG) ?? []).some((flag) => !approved.has(flag));
  const cleaned = chosen
    .map((line) => {
      if (!unapproved(line)) return line;
      withheld = true;
      // Pure advice goes; a statement that names the flag keeps its facts, without the flag.
      return (line.match(SENTENCE) ?? [])
        .filter((sentence) => !(unapproved(sentence) && PURE_ADVICE.test(sentence.replace(TIMESTAMP, ''))))
        .map((sentence) => (unapproved(sentence) ? sentence.replace(REINDEX_FLAG, 'a reindex') : sentence))
        .join('')
        .trimEnd();
    })
    // A line that was only the advice leaves its timestamp behind.
    .filter((line) => !/^(\d{4}-\d\d-\d\dT[\d:.]+Z)?[\s:]*$/.test(line));
  return withheld
    ? {
        lines: cleaned,
        withheldAdvice:
          "bitcoind's advice to reindex is left out: Archipelago's version guard did not approve a " +
          'reindex of this datadir, and on a datadir a newer version created, an older version’s -reindex can ' +
          'destroy the chain. Do not run one by hand; see the README section on Bitcoin versions',
      }
    : { lines: cleaned };
}

/** One sentence for an error message: the quoted lines, and what was left out. */
export function describeExitOutput(output: ExitOutput): string {
  const quoted =
    output.lines.length > 0 ? `; it said: ${output.lines.join(' | ').slice(0, QUOTED_CHARS)}` : '';
  return `${quoted}${output.withheldAdvice ? `. ${output.withheldAdvice}` : ''}`;
}

function dedupe(lines: string[]): string[] {
  const seen = new Set<string>();
  // The same message often goes to stderr and debug.log (both in the container's output).
  return lines.filter((line) => {
    const key = line.replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z\s+/, '');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
