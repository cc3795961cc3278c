// The dependency resolver: pure functions from manifests and installed state to plans (what to
// install, start or stop, in which order) and refusals that say what to do next. No I/O: the
// orchestrator applies the plans.

export {
  planInstall,
  planInstallWithChoices,
  planStart,
  type InstallRequest,
  type StartRequest,
} from './activation-plan.js';
export { installPlanView, type InstallPlanViewRequest } from './install-plan-view.js';
export { appGrants, type AppGrantsRequest } from './app-grants.js';
export { grantLines } from './grant-lines.js';
export { planStop, planRemove, type StopRequest } from './stop-plan.js';
export {
  bootOrder,
  dependencyLinks,
  dependentsOf,
  checkVersionChange,
  type InstalledLinks,
  type Dependents,
} from './installed-views.js';
export { conflictsWith } from './conflicts.js';
export { providedAppIds } from './interface-names.js';
export { bindingsOf } from './resolved-dependency.js';
export {
  parseAppVersion,
  compareAppVersions,
  satisfiesRange,
  newestSatisfying,
  isValidRange,
  type AppVersion,
} from './app-version.js';
export type {
  AvailableApp,
  InstalledApp,
  DependencyRequirement,
  ResolvedDependency,
  NetworkLink,
  PlanStep,
  ProviderChoice,
  ActivationPlan,
  InstallPlan,
  StartPlan,
  StopPlan,
  RemovePlan,
  UnresolvedDependency,
  BootOrder,
} from './types.js';
