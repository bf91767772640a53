import { existsSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors.js';
import { pathOf } from '../url-path.js';

/** Where the console is served; ui/vite.config.ts builds with the same base. */
export const UI_PREFIX = '/ui';

/** Vite's content-hashed output: a file's name changes whenever its bytes do. */
const HASHED = `${UI_PREFIX}/assets/`;
const YEAR_S = 365 * 24 * 3600;

/**
 * Serves the console (ui/, built by `npm run build` into dist/ui) at /ui: files under
 * /ui/assets/ with `Cache-Control: public, max-age=31536000, immutable` (their names carry a
 * content hash), index.html with `no-cache` for /ui and for every other /ui/* path that is not
 * a file (the app routes in the browser). Only routes are added, in their own plugin scope: no
 * hook runs for API requests, so a closed console costs the API nothing.
 * When `dir` holds no index.html (the UI was not built), /ui answers 404 saying how to build it.
 */
export async function registerUi(app: FastifyInstance, uiDir: string): Promise<void> {
  const dir = resolve(uiDir);
  if (!existsSync(join(dir, 'index.html'))) {
    const missing = async () => {
      throw new AppError('not_found', 'the console is not built: run `npm run build` (it builds ui/ into dist/ui)');
    };
    app.get(UI_PREFIX, { schema: { hide: true } }, missing);
    app.get(`${UI_PREFIX}/*`, { schema: { hide: true } }, missing);
    return;
  }
  const assets = join(dir, 'assets') + sep;
  await app.register(async (scope) => {
    await scope.register(fastifyStatic, {
      root: dir,
      prefix: `${UI_PREFIX}/`,
      // One route per built file, listed at start: an unknown /ui/* path falls to the app below.
      wildcard: false,
      index: false,
      cacheControl: false,
      etag: true,
      lastModified: false,
      setHeaders: (reply, path) => {
        void reply.header('cache-control', path.startsWith(assets) ? `public, max-age=${YEAR_S}, immutable` : 'no-cache');
      },
      schemaHide: true,
    });
    const page = async (request: FastifyRequest, reply: FastifyReply) => {
      // A hashed file that does not exist is a stale page asking for an old build: 404, not the app.
      if (request.url.startsWith(HASHED)) throw new AppError('not_found', `no such console file: ${pathOf(request.url)}`);
      return reply.header('cache-control', 'no-cache').sendFile('index.html');
    };
    scope.get(UI_PREFIX, { schema: { hide: true } }, page);
    scope.get(`${UI_PREFIX}/*`, { schema: { hide: true } }, page);
  });
}
