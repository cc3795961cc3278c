// The lndconnect URI a wallet scans to reach an LND node (format: github.com/LN-Zap/lndconnect):
// lndconnect://<host>:<grpcPort>?cert=<base64url of the cert's DER>&macaroon=<base64url of the macaroon>
// base64url without padding, as the spec's reference encoder writes it.

/** The DER bytes inside a PEM certificate (the base64 between the BEGIN/END lines). */
export function pemToDer(pem: string): Buffer {
  const match = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem);
  if (!match) throw new TypeError('not a PEM certificate (no BEGIN/END CERTIFICATE block)');
  return Buffer.from(match[1]!.replace(/\s+/g, ''), 'base64');
}

export function lndconnectUri(options: {
  host: string;
  port: number;
  certPem?: string;
  macaroon: Buffer;
}): string {
  // An IPv6 literal needs brackets in a URI authority.
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const query = [
    ...(options.certPem !== undefined ? [`cert=${pemToDer(options.certPem).toString('base64url')}`] : []),
    `macaroon=${options.macaroon.toString('base64url')}`,
  ];
  return `lndconnect://${host}:${options.port}?${query.join('&')}`;
}
