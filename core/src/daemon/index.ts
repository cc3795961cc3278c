export { runDaemon } from './run-daemon.js';
export { DEFAULT_DATA_DIR, DEFAULT_LISTEN, type DaemonOptions } from './options.js';
