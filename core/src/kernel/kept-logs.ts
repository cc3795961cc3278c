// One line of an app's kept output (logs/{app-id}/, README "Kept logs"): what `archy logs --since`
// and the UI's log viewer read back across container recreations.
export interface KeptLogLine {
  /** ISO time the line was written. */
  time: string;
  service: string;
  stream: 'stdout' | 'stderr';
  /** The container (short id) that wrote it: lines of a recreated container have another. */
  container: string;
  text: string;
}
