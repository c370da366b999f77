import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Raised when a demo server cannot bind its port; names the flag that changes it. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(
    readonly port: number,
    readonly flag: string,
  ) {
    super(`port ${port} is already in use: pass ${flag} <port> to choose another`);
  }
}

/** Binds to 127.0.0.1 only (the demo must never be reachable from the network). */
export function listenLocal(server: Server, port: number, flag: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      reject(err.code === 'EADDRINUSE' ? new PortInUseError(port, flag) : err);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, '127.0.0.1');
  });
}

/** Closes the listener and every open socket (keep-alive included) so callers, and jest, can exit. */
export function closeServer(server: Server): Promise<void> {
  if (!server.listening) return Promise.resolve();
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeAllConnections();
  });
}
