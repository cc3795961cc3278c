// The install plan a user sees before anything happens (`package.plan-install`, `archy install
// --dry-run`, the UI's install dialog): every app the install touches and why, the choices still
// open (which app provides an interface several could), and which dependent gets a login to which
// provider.

/**
 * `package.plan-install` params: the app (a bundled app's `id`, or a user's manifest as YAML text
 * with the file name to cite), its version, and interface → the app chosen to provide it.
 */
export interface InstallPlanRequest {
  id?: string;
  /** Manifest YAML text, instead of `id` (an app the user brings, e.g. an imported one). */
  manifest?: string;
  /** The file name manifest errors cite; only with `manifest`. */
  manifestFile?: string;
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
  /** What the requested app gets: its images, host ports, volumes, capabilities, dependencies' credentials. */
  grants: AppGrants;
}

/** Where an imported app came from (its manifest's `origin:`): not the bundled apps, not the catalog. */
export interface ImportedOrigin {
  kind: 'umbrel' | 'parmanode';
  /** The upstream's app id. */
  app: string;
  /** The upstream's version, verbatim. */
  upstreamVersion: string;
  /** Informational: what it was converted from, e.g. getumbrel/umbrel-apps. */
  source?: string;
}

/** One container of the app and what it may do on this node. */
export interface ServiceGrant {
  service: string;
  image: string;
  /**
   * `signature`: runs only with a valid signature of a trusted key (checked at install); `digest`:
   * runs exactly this digest-pinned content with no signature of ours (a bundled manifest's pin,
   * or an imported app's once the user confirms).
   */
  trust: 'signature' | 'digest';
  /** "uid:gid"; absent: the image's own user (root is refused when the container is made). */
  user?: string;
  /** Capabilities added (names without CAP_); every other one is dropped. */
  capabilities: string[];
  /** Host ports published: `lan` on every address, `local` on 127.0.0.1 only. */
  ports: Array<{ host: number; container: number; protocol: 'tcp' | 'udp'; expose: 'lan' | 'local' }>;
  /** Folders of the app's own data (DATA_DIR/apps/<id>/<name>) mounted into it. */
  volumes: Array<{ name: string; mount: string; readOnly: boolean }>;
}

/** One dependency of the app: the provider it binds and what that provider hands over. */
export interface DependencyGrant {
  /** What the manifest asked for: an interface (bitcoin-node) or an app id. */
  requested: string;
  interface: string;
  /** The app it binds; absent while a provider choice is still open. */
  provider?: string;
  /** In words, one item each: "its own RPC login (archy-<id>)", "every RPC method", "ZMQ rawblock, rawtx" … */
  handsOver: string[];
}

/**
 * What an install grants an app, shown before it happens (`package.plan-install`, and the refusal
 * of an imported app's install without confirmation): `data: { imported: AppGrants }`.
 */
export interface AppGrants {
  app: string;
  /** Present: an imported app, not signed by the Archipelago catalog. */
  origin?: ImportedOrigin;
  services: ServiceGrant[];
  dependencies: DependencyGrant[];
  /** Secrets the node generates for the app (kept in its secret store): `ARCHY_APP_PASSWORD` / `ARCHY_APP_SEED`. */
  secrets: Array<'app-password' | 'app-seed'>;
}
