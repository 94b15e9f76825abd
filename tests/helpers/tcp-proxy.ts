import type { Socket } from "bun";

/**
 * A TCP proxy on loopback for fault injection on the wire: while replies are held, bytes from
 * the server are swallowed (a reply lost in the network) while requests still reach it.
 */
export interface TcpProxy {
  port: number;
  /** Swallow the server's replies from now on (they are never delivered). */
  holdReplies(): void;
  /** Deliver replies again (those swallowed meanwhile stay lost). */
  passReplies(): void;
  stop(): void;
}

export async function startTcpProxy(upstreamPort: number, upstreamHost = "127.0.0.1"): Promise<TcpProxy> {
  let holding = false;
  const links = new Set<{
    client: Socket<unknown>;
    upstream: Socket<unknown> | null;
    pending: Uint8Array[];
  }>();
  const server = Bun.listen<{
    link: { client: Socket<unknown>; upstream: Socket<unknown> | null; pending: Uint8Array[] };
  }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      async open(client) {
        const link = {
          client: client as Socket<unknown>,
          upstream: null as Socket<unknown> | null,
          pending: [] as Uint8Array[],
        };
        client.data = { link };
        links.add(link);
        link.upstream = (await Bun.connect({
          hostname: upstreamHost,
          port: upstreamPort,
          socket: {
            data(_s, bytes) {
              if (!holding) client.write(bytes);
            },
            close() {
              client.end();
            },
            error() {
              client.end();
            },
          },
        })) as Socket<unknown>;
        for (const b of link.pending.splice(0)) link.upstream.write(b);
      },
      data(client, bytes) {
        const { link } = client.data;
        if (link.upstream) link.upstream.write(bytes);
        else link.pending.push(new Uint8Array(bytes));
      },
      close(client) {
        const { link } = client.data;
        link.upstream?.end();
        links.delete(link);
      },
    },
  });
  return {
    port: server.port,
    holdReplies() {
      holding = true;
    },
    passReplies() {
      holding = false;
    },
    stop() {
      for (const l of links) {
        l.upstream?.end();
        l.client.end();
      }
      server.stop(true);
    },
  };
}
