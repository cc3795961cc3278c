// The QR encoder lives in core (the CLI prints the same codes in a terminal); the UI's components
// keep importing it from here.
export * from '@archipelago/core/qr-code';
