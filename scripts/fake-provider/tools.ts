/**
 * Tool-call answers of the fake provider, shared by both dialects. When a request
 * offers tools (and does not forbid them) and its last turn is not a tool result,
 * the fake calls one tool: the forced one, else the first. Its arguments fill each
 * required parameter from the last user message (strings get the message itself,
 * numbers 1, booleans true), so tests can predict them. After a tool result, the
 * fake answers `tool result: <the result>`.
 */

export interface FakeTool {
  name: string;
  parameters?: { properties?: Record<string, { type?: string }>; required?: string[] };
}

/** The tool to call, or undefined when the fake should answer with text. */
export function toolToCall(tools: FakeTool[], forced: string | undefined, none: boolean): FakeTool | undefined {
  if (none || tools.length === 0) return undefined;
  return (forced && tools.find((t) => t.name === forced)) || tools[0];
}

/** Arguments for `tool`, derived from the last user message. */
export function argumentsFor(tool: FakeTool, lastUser: string): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  const properties = tool.parameters?.properties ?? {};
  for (const name of tool.parameters?.required ?? []) {
    const type = properties[name]?.type;
    args[name] = type === 'number' || type === 'integer' ? 1 : type === 'boolean' ? true : lastUser.slice(0, 200);
  }
  return args;
}

/** The text answer after a tool result. */
export const toolResultAnswer = (result: string): string => `tool result: ${result.slice(0, 200)}`;

let counter = 0;
/** A fresh tool call id. */
export const callId = (): string => `call_fake_${(++counter).toString(36)}`;
