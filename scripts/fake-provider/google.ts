import { randomUUID } from 'node:crypto';
import { answerFor, pieces, sendError, sendJson, tokens, TINY_PNG_BASE64, writeStream, type Exchange } from './exchange.js';
import { argumentsFor, toolResultAnswer, toolToCall, type FakeTool } from './tools.js';

/** The Google AI dialect of the fake: Gemini generate/stream, Imagen predict, Veo long-running operations. */

interface Content {
  role?: string;
  parts?: Array<{ text?: string; functionResponse?: { name?: string; response?: unknown } }>;
}

/** The function this request makes the fake call, if any (see tools.ts). */
function requestedFunction(body: Record<string, unknown>, last: Content | undefined): FakeTool | undefined {
  if (last?.parts?.some((p) => p.functionResponse)) return undefined;
  const groups = Array.isArray(body.tools) ? (body.tools as Array<{ functionDeclarations?: Array<{ name: string; parametersJsonSchema?: FakeTool['parameters'] }> }>) : [];
  const tools = groups.flatMap((g) => g.functionDeclarations ?? []).map((d) => ({ name: d.name, parameters: d.parametersJsonSchema }));
  const config = (body.toolConfig as { functionCallingConfig?: { mode?: string; allowedFunctionNames?: string[] } } | undefined)?.functionCallingConfig;
  return toolToCall(tools, config?.allowedFunctionNames?.[0], config?.mode === 'NONE');
}

const textOf = (c: Content | undefined): string => (c?.parts ?? []).map((p) => p.text ?? '').join('');
const contentsOf = (body: Record<string, unknown>): Content[] => (Array.isArray(body.contents) ? (body.contents as Content[]) : []);

/** True when the request ends with a `model` turn (a prefill). */
export const googleHasPrefill = (body: Record<string, unknown>): boolean => contentsOf(body).at(-1)?.role === 'model';

export async function answerGemini(ex: Exchange): Promise<void> {
  const contents = contentsOf(ex.body);
  const last = contents.at(-1);
  const prefill = last?.role === 'model' ? textOf(last) : undefined;
  const lastUser = textOf([...contents].reverse().find((c) => (c.role ?? 'user') === 'user'));
  const config = (ex.body.generationConfig ?? {}) as { responseMimeType?: string; responseModalities?: string[] };
  const fn = requestedFunction(ex.body, last);
  const toolResult = last?.parts?.find((p) => p.functionResponse)?.functionResponse;
  const text = fn || ex.faults.has('empty_answer') ? '' : toolResult ? toolResultAnswer(JSON.stringify(toolResult.response ?? {})) : answerFor(lastUser, config.responseMimeType === 'application/json', prefill, ex.faults);
  // Gemini sends a function call whole, in one part (and ends the turn with STOP).
  const callPart = fn && { functionCall: { name: fn.name, args: argumentsFor(fn, lastUser) }, thoughtSignature: 'ZmFrZS1zaWduYXR1cmU=' };
  const promptTokens = tokens(contents.map(textOf).join('\n'));
  const usageMetadata = { promptTokenCount: promptTokens, candidatesTokenCount: tokens(text), totalTokenCount: promptTokens + tokens(text) };
  const blocked = ex.faults.has('content_filter');
  const finishReason = blocked ? 'SAFETY' : ex.faults.has('abnormal_finish') ? 'OTHER' : ex.faults.has('truncated') ? 'MAX_TOKENS' : 'STOP';
  if (ex.faults.has('empty_candidates') && !ex.stream) return sendJson(ex.res, 200, { candidates: [], usageMetadata, modelVersion: ex.model });

  if (ex.stream) {
    const deltas = callPart
      ? [{ candidates: [{ content: { role: 'model', parts: [callPart] }, index: 0 }] }]
      : pieces(text, ex.faults).map((p) => ({ candidates: [{ content: { role: 'model', parts: [{ text: p }] }, index: 0 }] }));
    if (ex.faults.has('midstream_error')) {
      const failed = { error: { code: 500, message: 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting', status: 'INTERNAL' } };
      return writeStream(ex, deltas.slice(0, ex.faults.n('midstream_error', 2)), [failed], false);
    }
    const tail = [{ candidates: [{ content: { role: 'model', parts: [{ text: '' }] }, finishReason, index: 0 }], usageMetadata, modelVersion: ex.model }];
    return writeStream(ex, blocked ? deltas.slice(0, 1) : ex.faults.has('empty_answer') ? [] : deltas, tail, false);
  }
  if (ex.faults.has('malformed_body')) {
    ex.res.writeHead(200, { 'content-type': 'application/json' });
    return void ex.res.end('{"candidates": [');
  }
  const parts: unknown[] = blocked ? [] : callPart ? [callPart] : [{ text }];
  if (config.responseModalities?.some((m) => m.toUpperCase() === 'IMAGE')) parts.push({ inlineData: { mimeType: 'image/png', data: TINY_PNG_BASE64 } });
  sendJson(ex.res, 200, {
    candidates: [{ content: { role: 'model', parts }, finishReason, index: 0 }],
    usageMetadata,
    modelVersion: ex.model,
  });
}

/** Imagen `:predict`. */
export function answerImagen(ex: Exchange): void {
  if (ex.faults.has('content_filter')) return sendJson(ex.res, 200, { predictions: [{ raiFilteredReason: 'fake safety filter' }] });
  sendJson(ex.res, 200, { predictions: [{ bytesBase64Encoded: TINY_PNG_BASE64, mimeType: 'image/png' }] });
}

/** A Veo operation: done after `pollsNeeded` polls, with a video or an error. */
interface Operation {
  name: string;
  polls: number;
  pollsNeeded: number;
  errorCode: number | undefined;
}

/** Long-running operations started by `:predictLongRunning`, answered by `GET .../operations/{id}`. */
export class Operations {
  private readonly ops = new Map<string, Operation>();

  start(ex: Exchange): void {
    const name = `operations/${randomUUID()}`;
    this.ops.set(name, {
      name,
      polls: 0,
      pollsNeeded: ex.faults.n('veo_polls', 3),
      errorCode: ex.faults.has('operation_error') ? ex.faults.n('operation_error', 13) : undefined,
    });
    sendJson(ex.res, 200, { name });
  }

  poll(ex: Exchange, id: string): void {
    const op = this.ops.get(`operations/${id}`);
    if (!op) return sendError(ex, 404, 'not_found', `operation ${id} not found`);
    op.polls++;
    if (op.polls < op.pollsNeeded) return sendJson(ex.res, 200, { name: op.name, done: false, metadata: { polls: op.polls } });
    if (op.errorCode !== undefined) {
      return sendJson(ex.res, 200, { name: op.name, done: true, error: { code: op.errorCode, message: 'fake operation failure' } });
    }
    sendJson(ex.res, 200, {
      name: op.name,
      done: true,
      response: {
        '@type': 'type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse',
        generateVideoResponse: { generatedSamples: [{ video: { uri: `${ex.baseUrl}/v1beta/files/${id}:download?alt=media` } }] },
      },
    });
  }

  clear(): void {
    this.ops.clear();
  }
}
