// A loopback port nothing listens on now: bind port 0, read the port the kernel gave, close.
// For the runner (each k6's REST API must be known to resume it) and the tests (servers on free
// ports, or a port whose connections are refused).

import net from 'node:net';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
