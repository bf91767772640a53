import type { FastifyBaseLogger } from 'fastify';
import type { AppEventBus } from '../events.js';

/**
 * The gateway's story for operators: every attempt and retry at debug, a
 * fallback and a hedge at info, a breaker opening at warn (and closing again at info).
 * Lines carry the request id (`request_id`, as Fastify's request lines do) and the run.
 */
export function registerGatewayLog(bus: AppEventBus, log: FastifyBaseLogger): void {
  // Checked per event so the hot path builds no log object unless debug is on.
  const debugOn = () => log.level === 'debug' || log.level === 'trace';
  const ids = (context: { request_id?: string; run_id?: string; task_id?: string }) => ({
    ...(context.request_id ? { request_id: context.request_id } : {}),
    ...(context.run_id ? { run_id: context.run_id } : {}),
    ...(context.task_id ? { task_id: context.task_id } : {}),
  });
  bus.on('attempt', (e) => {
    if (!debugOn()) return;
    const { context, usage, ...rest } = e;
    log.debug({ ...ids(context), ...rest, tokens: usage?.total_tokens }, 'model attempt');
  });
  bus.on('retry', (e) => {
    if (!debugOn()) return;
    const { context, ...rest } = e;
    log.debug({ ...ids(context), ...rest }, 'retrying model call');
  });
  bus.on('fallback', (e) => {
    const { context, ...rest } = e;
    log.info({ ...ids(context), ...rest }, 'falling back to the next model');
  });
  bus.on('hedge', (e) => {
    const { context, ...rest } = e;
    log.info({ ...ids(context), ...rest }, 'no first token yet: hedging with the next model');
  });
  bus.on('breaker', (e) => {
    if (e.state === 'open') log.warn(e, `circuit of '${e.model}' opened: calls skip to its fallbacks`);
    else log.info(e, `circuit of '${e.model}' is ${e.state}`);
  });
}
