import module from 'node:module';

/**
 * The production entry (`npm run build` bundles it as dist/src/main.js; main.ts is the server).
 * On Node 22.1+ it first turns on V8's on-disk code cache (`module.enableCompileCache`, in
 * NODE_COMPILE_CACHE or os.tmpdir()/node-compile-cache; NODE_DISABLE_COMPILE_CACHE=1 turns it
 * off), so that a restart reads the server's compiled code instead of compiling the bundle
 * again. It must run before the server's module is compiled, hence this separate module and
 * the dynamic import. Node 20 has no compile cache: there this only imports the server.
 */
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
await import('./main.js');
