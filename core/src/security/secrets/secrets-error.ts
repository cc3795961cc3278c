import { ArchyError, RpcErrorCode } from '../../kernel/index.js';

/**
 * A problem with stored secrets the user must act on (a loose key file, a tampered or foreign
 * secret file). Messages name files and app/secret names only — never key or secret material —
 * and carry no `cause`, so nothing from a failed decryption can reach a log or a response.
 */
export class SecretsError extends ArchyError {
  constructor(message: string) {
    super(RpcErrorCode.InternalError, message);
    this.name = 'SecretsError';
  }
}
