import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a real server, for fault injection without touching the server itself
 * (other test files share it): `freeze()` stops forwarding while keeping connections open (a hung
 * server or a silent network), `cut()` drops every connection and refuses new ones (a server that
 * is down), `restore()` goes back to normal.
 */
export async function createTcpProxy(target: { host: string; port: number }) {
  let mode: 'open' | 'frozen' | 'cut' = 'open';
  const pairs = new Set<[Socket, Socket]>();
  const server = createServer((client) => {
    client.on('error', () => {});
    if (mode === 'cut') return void client.destroy();
    const upstream = connect(target.port, target.host);
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    client.on('close', () => pairs.delete(pair));
    if (mode === 'open') flow(pair);
    else hold(pair);
  });
  const flow = ([client, upstream]: [Socket, Socket]) => {
    client.pipe(upstream);
    upstream.pipe(client);
  };
  // Bytes wait in the sockets' buffers, so the conversation resumes intact after restore().
  const hold = ([client, upstream]: [Socket, Socket]) => {
    client.unpipe(upstream);
    upstream.unpipe(client);
    client.pause();
    upstream.pause();
  };
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    /** Connections stay open; nothing passes either way until restore(). */
    freeze() {
      mode = 'frozen';
      for (const pair of pairs) hold(pair);
    },
    /** Every connection is dropped, and new ones are closed at once. */
    cut() {
      mode = 'cut';
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
    },
    restore() {
      if (mode === 'frozen') for (const pair of pairs) flow(pair);
      mode = 'open';
    },
    async close() {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      server.close();
    },
  };
}
