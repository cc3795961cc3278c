// The one rule for a path that must stay inside a folder (the manifest's own folder, an app's
// volume): relative, no `..`, no empty part, nothing hidden behind a backslash. Its callers word
// their own errors; the rule itself is written once so the two kinds of path cannot drift apart.

/** Whether `value` stays inside the folder it is relative to (`.` parts only when `allowDot`). */
export function staysInside(value: string, options: { allowDot: boolean }): boolean {
  const parts = value.split('/');
  return !(
    value === '' ||
    value.startsWith('/') ||
    value.includes('\\') ||
    parts.some((part) => part === '..' || part === '' || (!options.allowDot && part === '.'))
  );
}
