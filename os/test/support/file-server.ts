import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';

/**
 * Serves a fixed set of files over HTTP on 127.0.0.1 (what a release server would be to the
 * node: the VM reaches it through a QEMU guest forward). Anything else is a 404.
 */
export class FileServer {
  readonly #server: Server;
  readonly files = new Map<string, string>();

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(): Promise<FileServer> {
    const fileServer: FileServer = new FileServer(
      createServer((request, response) => {
        const path = fileServer.files.get(request.url ?? '');
        if (!path) {
          response.writeHead(404).end();
          return;
        }
        stat(path).then(
          (info) => {
            response.writeHead(200, { 'content-length': info.size, 'content-type': 'application/x-tar' });
            createReadStream(path).pipe(response);
          },
          () => response.writeHead(404).end(),
        );
      }),
    );
    fileServer.#server.listen(0, '127.0.0.1');
    await once(fileServer.#server, 'listening');
    return fileServer;
  }

  get port(): number {
    const address = this.#server.address();
    if (!address || typeof address === 'string') throw new Error('not listening');
    return address.port;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
