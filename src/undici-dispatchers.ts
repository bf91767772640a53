import type { Agent as AgentClass, Pool as PoolClass } from 'undici';
import api from 'undici/lib/api/index.js';
import AgentModule from 'undici/lib/dispatcher/agent.js';
import DispatcherModule from 'undici/lib/dispatcher/dispatcher.js';
import PoolModule from 'undici/lib/dispatcher/pool.js';

/**
 * undici's `Pool` and `Agent` without undici's index. `import { Pool } from 'undici'` runs the
 * whole package: fetch, WebSocket, EventSource, cookies, mocks, cache stores, interceptors,
 * ~700 KiB of the server bundle, and its cookies module touches Node's lazily loaded globals,
 * which compiles Node's own bundled copy of undici as well: ~55 ms of a cold start's CPU
 * (BENCHMARKS.md, "Issue 18, third pass (start-up)"). The server uses only the dispatchers and
 * their `request()`, so it loads these files, and does what the index does for them: it gives
 * every dispatcher the request API (`Object.assign(Dispatcher.prototype, api)`, the same
 * statement as undici/index.js; running it twice, when something else loads the index, changes
 * nothing). The classes and their types are undici's own.
 */
Object.assign((DispatcherModule as { prototype: object }).prototype, api);

/** undici's connection pool to one origin (`new Pool(origin, options)`), with `.request()`. */
export const Pool = PoolModule as typeof PoolClass;
export type Pool = PoolClass;
/** undici's agent (a pool per origin), with `.request({ origin, path, ... })`. */
export const Agent = AgentModule as typeof AgentClass;
export type Agent = AgentClass;
