// A QEMU guest forward's command (`guestfwd=…-cmd:node tcp-bridge.mjs PORT`): QEMU runs it once
// per connection the guest opens, with that connection as stdin/stdout, and it relays the bytes to
// 127.0.0.1:PORT. (A guest forward to a `tcp:` target would be one connection, opened when QEMU
// starts and shared by every guest connection: an HTTP server times it out long before the test
// uses it.) It ends when either side closes.
import { connect } from 'node:net';

const socket = connect(Number(process.argv[2]), '127.0.0.1');
process.stdin.pipe(socket);
socket.pipe(process.stdout);
socket.on('close', () => process.exit(0));
socket.on('error', () => process.exit(1));
process.stdin.on('end', () => socket.end());
