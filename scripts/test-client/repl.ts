import { createInterface } from 'node:readline';
import { handleLine, newReplState, type ReplDeps, type ReplState } from './repl-commands.js';
import { paint } from './output.js';

/** The interactive `chat` mode: a readline loop over `handleLine`. */

export interface ReplOptions extends ReplDeps {
  input?: NodeJS.ReadableStream;
  /** The terminal to echo and draw the prompt on; omit for piped input. */
  terminal?: NodeJS.WriteStream;
}

/** Runs until /quit or end of input; returns the final state (tests read the session id). */
export async function runRepl({ api, out, input = process.stdin, terminal }: ReplOptions): Promise<ReplState> {
  const state = newReplState();
  const rl = createInterface({ input, output: terminal, terminal: Boolean(terminal?.isTTY) });
  rl.on('SIGINT', () => rl.close());
  rl.setPrompt(paint(out, 'bold', 'you> '));
  out.line(`Chatting with ${api.baseUrl}. /help lists the commands, /quit leaves.`);
  const prompt = () => {
    if (terminal) rl.prompt();
  };
  prompt();
  for await (const line of rl) {
    if ((await handleLine(line, state, { api, out })) === 'quit') break;
    prompt();
  }
  rl.close();
  out.line(state.sessionId ? `bye — session ${state.sessionId} is kept on the server` : 'bye');
  return state;
}
