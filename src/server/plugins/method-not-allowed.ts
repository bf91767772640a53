import type { FastifyInstance } from 'fastify';
import FindMyWay, { type HTTPMethod } from 'find-my-way';

/**
 * Which methods a path answers to, so a request with the wrong method gets `405 Method Not Allowed`
 * with `Allow` (RFC 9110 §15.5.6) instead of a 404. Every route Fastify registers is mirrored into a
 * second find-my-way router (the one Fastify itself uses) through an onRoute hook; a request that
 * Fastify found no route for is looked up there under each method.
 */
export interface AllowedMethods {
  /** The methods `path` (no query string) answers to, sorted; empty when no route matches at all. */
  for(path: string): string[];
}

/** Registers the mirror. Call before any route is registered. */
export function trackAllowedMethods(app: FastifyInstance): AllowedMethods {
  const router = FindMyWay({ ignoreTrailingSlash: false });
  const methods = new Set<HTTPMethod>();
  const noop = () => undefined;
  app.addHook('onRoute', (route) => {
    for (const method of ([] as string[]).concat(route.method).map((m) => m.toUpperCase() as HTTPMethod)) {
      // Fastify answers HEAD for every GET route by itself.
      const added: HTTPMethod[] = method === 'GET' ? ['GET', 'HEAD'] : [method];
      for (const m of added) {
        if (router.hasRoute(m, route.url)) continue;
        router.on(m, route.url, noop);
        methods.add(m);
      }
    }
  });
  return {
    for(path) {
      // OPTIONS answers everywhere (CORS preflight on a wildcard route), so it proves no path exists.
      return [...methods].filter((m) => m !== 'OPTIONS' && router.find(m, path) !== null).sort();
    },
  };
}
