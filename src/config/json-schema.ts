import * as z from 'zod';
import { ConfigSchema } from './schema.js';

/**
 * The JSON Schema of orchestration_config.json, generated from the zod schema
 * (input side: fields with defaults are optional), for editors' completion.
 */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(ConfigSchema, { io: 'input', target: 'draft-2020-12' }),
    title: 'Master Orchestrator configuration',
  };
}

export const renderConfigJsonSchema = (): string => `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
