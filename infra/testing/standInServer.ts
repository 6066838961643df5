/**
 * Stand-in downloads served over HTTP on localhost: the lock's tests fetch from here what the
 * revision names on the vendors' servers (the URL's host and path under one local root).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Fetcher } from "../lock";

export interface StandInServer {
  /** Serve `data` for the vendor URL `url` (replace to change what is served). */
  serve(url: string, data: Buffer): void;
  /** A fetcher that asks this server instead of the vendor (real HTTP, over localhost). */
  fetcher: Fetcher;
  /** URLs requested so far, as the vendor URLs. */
  requested: string[];
  close(): Promise<void>;
}

export async function startStandInServer(): Promise<StandInServer> {
  const files = new Map<string, Buffer>();
  const requested: string[] = [];
  const server: Server = createServer((req, res) => {
    const data = files.get(req.url ?? "");
    if (!data) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": data.length }).end(data);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const localPath = (url: string) => {
    const u = new URL(url);
    return `/${u.host}${u.pathname}`;
  };
  return {
    serve: (url, data) => files.set(localPath(url), data),
    requested,
    fetcher: async (url) => {
      requested.push(url);
      const response = await fetch(`http://127.0.0.1:${port}${localPath(url)}`);
      if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
      return Buffer.from(await response.arrayBuffer());
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
