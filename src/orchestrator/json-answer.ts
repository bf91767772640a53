/**
 * Models asked for JSON sometimes wrap it in a code fence or a sentence. This
 * takes the first balanced top-level `{...}` object out of such an answer.
 */
export function extractJsonObject(text: string): unknown {
  const trimmed = text.trim();
  try {
    return JSON.parse(trimmed);
  } catch {
    // fall through to scanning for an embedded object
  }
  for (let start = trimmed.indexOf('{'); start !== -1; start = trimmed.indexOf('{', start + 1)) {
    const end = matchingBrace(trimmed, start);
    if (end === -1) return undefined;
    try {
      return JSON.parse(trimmed.slice(start, end + 1));
    } catch {
      // not JSON from this brace; try the next one
    }
  }
  return undefined;
}

/** Index of the brace closing the one at `start`, skipping braces inside strings; -1 if unbalanced. */
function matchingBrace(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === '{') depth++;
    else if (ch === '}' && --depth === 0) return i;
  }
  return -1;
}
