import { writeFileSync } from 'node:fs';
import { renderConfigJsonSchema } from '../src/config/json-schema.js';

/** Regenerates orchestration_config.schema.json from the zod schema (`npm run schema`). */
writeFileSync('orchestration_config.schema.json', renderConfigJsonSchema());
process.stdout.write('wrote orchestration_config.schema.json\n');
