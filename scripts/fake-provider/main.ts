import { parseArgs } from 'node:util';
import { startFakeProvider } from './server.js';

/** CLI: `npm run fake-provider -- --port 9100 --latency 20 [--host 127.0.0.1]`. Prints its URL. */
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '9100' },
    host: { type: 'string', default: '127.0.0.1' },
    latency: { type: 'string', default: '0' },
  },
});

const fake = await startFakeProvider({ port: Number(values.port), host: values.host, latencyMs: Number(values.latency) });
console.log(`fake provider listening on ${fake.url}`);
console.log(`  OpenAI-compatible base URL: ${fake.url}/v1`);
console.log(`  Google AI base URL:         ${fake.url}/v1beta`);

const stop = (): void => {
  void fake.close();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
