// Public surface of the Parmanode module converter (reads a module's bash as text, never runs it).
export {
  convertModule,
  convertModuleFiles,
  readModuleFiles,
  ModuleReadError,
  type ConversionResult,
} from './convert-module.js';
export type { Decision } from './skeleton.js';
export type { ModuleFacts, ModuleFile } from './scan.js';
