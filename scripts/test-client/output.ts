/**
 * Where the client writes: the terminal, or a buffer in tests. Colour and
 * in-place redraws only when the target is a TTY (and NO_COLOR is unset).
 */

/** A text sink with just enough terminal knowledge for the progress display. */
export interface Output {
  /** Writes text as is (no newline added). */
  write(text: string): void;
  /** Writes one line. */
  line(text?: string): void;
  /** True when redrawing lines in place (ANSI cursor movement) is possible. */
  readonly isTTY: boolean;
  /** True when ANSI colours may be used. */
  readonly color: boolean;
}

/** An Output over a Node stream (process.stdout by default). */
export function streamOutput(stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): Output {
  const isTTY = Boolean(stream.isTTY);
  return {
    write: (text) => void stream.write(text),
    line: (text = '') => void stream.write(`${text}\n`),
    isTTY,
    color: isTTY && env.NO_COLOR === undefined,
  };
}

/** An Output that keeps everything written, for tests and for quiet runs. */
export interface BufferOutput extends Output {
  text(): string;
}

export function bufferOutput(options: { isTTY?: boolean } = {}): BufferOutput {
  let text = '';
  return {
    write: (t) => void (text += t),
    line: (t = '') => void (text += `${t}\n`),
    isTTY: options.isTTY ?? false,
    color: false,
    text: () => text,
  };
}

const CODES = { green: 32, red: 31, yellow: 33, cyan: 36, dim: 2, bold: 1 } as const;
export type StyleName = keyof typeof CODES;

/** Wraps text in an ANSI style when the output takes colour, otherwise returns it unchanged. */
export function paint(out: Output, style: StyleName, text: string): string {
  return out.color ? `\u001b[${CODES[style]}m${text}\u001b[0m` : text;
}
