/**
 * Orders strings by UTF-16 code units. The daemon sorts ids (ASCII by their pattern) and app
 * names for stable output; String#localeCompare would load ICU's collation data into it, about
 * 3.5 MB of resident memory for an order no one reads as a locale's (the web UI sorts names
 * for display itself, with the browser's locale).
 */
export const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
