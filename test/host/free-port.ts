/** A free loopback TCP port, for servers a test starts on a port it must know up front. */
import { createServer } from 'node:net';

/** A free loopback TCP port (closed again before the caller binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
