// Which keys a schema allows at a given path, so an unknown key can be answered with the key
// the user most likely meant. Reads zod's schema definitions rather than keeping a second list
// of field names that could drift from the schema.

import type { z } from 'zod';

type Schema = z.core.$ZodType;

/** Steps through wrappers (optional, default, transforms...) to the schema that holds the shape. */
function unwrap(schema: Schema): Schema {
  let current = schema;
  for (;;) {
    const def = current._zod.def;
    switch (def.type) {
      case 'optional':
      case 'nullable':
      case 'default':
      case 'prefault':
      case 'nonoptional':
      case 'readonly':
      case 'catch':
        current = (def as z.core.$ZodOptionalDef).innerType;
        break;
      case 'pipe':
        current = (def as z.core.$ZodPipeDef).in;
        break;
      default:
        return current;
    }
  }
}

function child(schema: Schema, segment: PropertyKey): Schema | undefined {
  const def = schema._zod.def;
  switch (def.type) {
    case 'object':
      return (def as z.core.$ZodObjectDef).shape[String(segment)];
    case 'array':
      return (def as z.core.$ZodArrayDef).element;
    case 'record':
      return (def as z.core.$ZodRecordDef).valueType;
    default:
      return undefined;
  }
}

/** The keys allowed in the mapping at `path`, or [] when there is no mapping there. */
export function knownKeysAt(schema: Schema, path: readonly PropertyKey[]): string[] {
  let current: Schema | undefined = unwrap(schema);
  for (const segment of path) {
    current = child(current, segment);
    if (current === undefined) return [];
    current = unwrap(current);
  }
  const def = current._zod.def;
  return def.type === 'object' ? Object.keys((def as z.core.$ZodObjectDef).shape) : [];
}
