// The install plan a user sees before anything happens (`package.plan-install`, `archy install
// --dry-run`, the UI's install dialog): every app the install touches and why, the choices still
// open (which app provides an interface several could), and which dependent gets a login to which
// provider.

/** `package.plan-install` params: the app, its version, and interface → the app chosen to provide it. */
export interface InstallPlanRequest {
  id: string;
  version?: string;
  /** Interface → app id, e.g. `{ 'bitcoin-node': 'bitcoin-knots' }` (as `package.install` takes it). */
  choices?: Record<string, string>;
}

export interface InstallPlanStep {
  app: string;
  /** The app's display name. */
  name: string;
  version: string;
  /**
   * `install` creates the app; `start` starts it; `restart` restarts an app that is running now —
   * a Bitcoin node that must learn a new dependent's RPC login (bitcoind reads them only at start),
   * and the apps using that node, which lose their connection meanwhile.
   */
  action: 'install' | 'start' | 'restart';
  /** For the user: "requested", "provides bitcoin-node for lnd", "learns lnd's RPC login". */
  why: string;
}

/** An interface several apps could provide for a dependent: the user picks one. */
export interface InstallPlanChoice {
  interface: string;
  dependent: string;
  candidates: Array<{ id: string; name: string }>;
  /** The app the request's `choices` picked; absent while the choice is still open. */
  chosen?: string;
}

/** A dependent that gets its own login to a provider (a Bitcoin RPC user, a Lightning credential). */
export interface InstallPlanCredential {
  dependent: string;
  provider: string;
  interface: string;
  /** The RPC methods the dependent is limited to (its manifest's `rpcMethods`); absent: all. */
  methods?: string[];
}

export interface InstallPlanView {
  id: string;
  /** In order, dependencies first. While a choice is open, the apps behind it are not listed yet. */
  steps: InstallPlanStep[];
  choices: InstallPlanChoice[];
  credentials: InstallPlanCredential[];
  /** False while a choice is still needed: `package.install` with these choices would be refused. */
  ready: boolean;
}
