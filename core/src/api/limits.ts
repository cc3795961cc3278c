/** Most log lines one request may ask for: a bound on what a client can make the daemon buffer. */
export const MAX_LOG_TAIL = 10_000;
