const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** Orders apps by name in the reader's locale ("bitcoin 10" after "bitcoin 9"), then by id. */
export const byName = (a: { name: string; id: string }, b: { name: string; id: string }): number =>
  collator.compare(a.name, b.name) || collator.compare(a.id, b.id);
