// Public surface of the data dir's layout: import from here.
export { DAEMON_FILES, DAEMON_FOLDERS, DAEMON_NAMES, DataLayout } from './data-layout.js';
