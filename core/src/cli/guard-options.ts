// The confirmations Archipelago's Bitcoin version guard asks for, as the same two options on every
// command that starts a node on existing data: install, start, restart, set-version, switch.

import { Option, type Command } from 'commander';

export interface GuardConfirmations {
  confirmDowngrade?: boolean;
  confirmResync?: string;
}

/** Adds --confirm-downgrade and --confirm-resync <id>. */
export function addGuardOptions(command: Command, subject = 'the app id'): Command {
  return command
    .addOption(
      new Option(
        '--confirm-downgrade',
        'accept starting a version older than what wrote the datadir (or one nothing names), and what it needs (e.g. a reindex)',
      ),
    )
    .addOption(
      new Option(
        '--confirm-resync <id>',
        `on a pruned node: type ${subject} to accept re-downloading the chain`,
      ),
    );
}

/** The RPC params for the options a user gave (none when they gave none). */
export function guardParams(options: GuardConfirmations): GuardConfirmations {
  return {
    ...(options.confirmDowngrade && { confirmDowngrade: true }),
    ...(options.confirmResync !== undefined && { confirmResync: options.confirmResync }),
  };
}
