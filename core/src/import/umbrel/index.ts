// Umbrel app import: an Umbrel app folder (umbrel-app.yml, docker-compose.yml, exports.sh read
// as text, never run) → an Archipelago manifest marked as imported, or the reasons it cannot be
// one; and a whole store checkout as a report.

export {
  convertUmbrelApp,
  type Conversion,
  type ConversionStatus,
  type SeedFolder,
  type UmbrelAppSource,
} from './convert.js';
export { convertUmbrelAppFolder, convertUmbrelStore, readUmbrelAppFolder, writeSeeds } from './app-folder.js';
export { formatReport, summarize, type StoreReport } from './store-report.js';
export {
  REFUSAL_CODES,
  WARNING_CODES,
  type Finding,
  type RefusalCode,
  type WarningCode,
} from './findings.js';
