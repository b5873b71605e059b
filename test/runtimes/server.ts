/**
 * A static file server on 127.0.0.1 for the browser tests and `npm run demo`.
 *
 * Serves files under `root` (only below the `allow`ed top-level folders, if given),
 * on an ephemeral port unless one is asked for. `.ts` files are served as JavaScript
 * with their types stripped by esbuild (one file at a time, imports untouched): a
 * browser does not care about a module's file extension, only its MIME type, so the
 * library's sources run in Chromium exactly as Deno runs them.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { AddressInfo } from 'node:net';
import { transform } from 'esbuild';

export interface StaticServer {
  /** Base URL with a trailing slash, e.g. `http://127.0.0.1:41234/`. */
  readonly url: string;
  readonly port: number;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

export interface StaticServerOptions {
  /** Folder served at `/`. */
  readonly root: string;
  /** Top-level folders (e.g. `['demo', 'dist']`) that may be served; default everything under root. */
  readonly allow?: readonly string[];
  /** Default 0: an ephemeral port. */
  readonly port?: number;
  /** Where `/` redirects (e.g. `/demo/`); default: 404. */
  readonly index?: string;
  /** Called for each request with its status (for logging). */
  readonly onRequest?: (method: string, path: string, status: number) => void;
}

const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.ts': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Starts the server.
 *
 * @example
 * ```ts
 * const server = await startStaticServer({ root: repoRoot, allow: ['demo', 'dist'] });
 * try { await page.goto(`${server.url}demo/`); } finally { await server.close(); }
 * ```
 */
export async function startStaticServer(options: StaticServerOptions): Promise<StaticServer> {
  const root = resolve(options.root);
  const transformed = new Map<string, { mtimeMs: number; code: string }>();

  async function respond(req: IncomingMessage, res: ServerResponse): Promise<number> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed');
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let path: string;
    try {
      path = decodeURIComponent(url.pathname);
    } catch {
      return send(res, 400, 'bad path');
    }
    if (path === '/' && options.index) {
      res.writeHead(302, { location: options.index });
      res.end();
      return 302;
    }
    const file = normalize(join(root, path));
    if (file !== root && !file.startsWith(root + sep)) return send(res, 403, 'outside the served folder');
    const top = file.slice(root.length + 1).split(sep)[0] ?? '';
    if (options.allow && !options.allow.includes(top)) return send(res, 404, 'not found');
    let target = file;
    let info = await stat(target).catch(() => null);
    if (info?.isDirectory()) {
      if (!path.endsWith('/')) {
        res.writeHead(301, { location: `${url.pathname}/` });
        res.end();
        return 301;
      }
      target = join(file, 'index.html');
      info = await stat(target).catch(() => null);
    }
    if (!info?.isFile()) return send(res, 404, 'not found');
    const ext = extname(target);
    let body: string | Buffer;
    if (ext === '.ts') {
      const cached = transformed.get(target);
      if (cached && cached.mtimeMs === info.mtimeMs) {
        body = cached.code;
      } else {
        const source = await readFile(target, 'utf8');
        // Each file alone: with verbatimModuleSyntax every type-only import is marked, so dropping it is safe.
        const out = await transform(source, { loader: 'ts', format: 'esm', target: 'es2022', sourcefile: target, sourcemap: 'inline' });
        body = out.code;
        transformed.set(target, { mtimeMs: info.mtimeMs, code: body });
      }
    } else {
      body = await readFile(target);
    }
    res.writeHead(200, {
      'content-type': MIME[ext] ?? 'application/octet-stream',
      'cache-control': 'no-store',
      'content-length': Buffer.byteLength(body),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return 200;
  }

  const server = createServer((req, res) => {
    respond(req, res).then(
      (status) => options.onRequest?.(req.method ?? '?', req.url ?? '?', status),
      (error: unknown) => {
        const status = send(res, 500, String((error as Error)?.message ?? error));
        options.onRequest?.(req.method ?? '?', req.url ?? '?', status);
      },
    );
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, '127.0.0.1', () => ok());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    close: () => new Promise<void>((ok) => {
      server.close(() => ok());
      server.closeAllConnections();
    }),
  };
}

function send(res: ServerResponse, status: number, message: string): number {
  if (!res.headersSent) res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(`${status} ${message}\n`);
  return status;
}
