import { ms } from './format.js';
import { paint, type Output } from './output.js';
import type { RunEvent } from './run-events.js';

/**
 * A live view of a streaming run: one line per task with a spinner, ✓ or ✗
 * and its elapsed time. On a TTY the block is redrawn in place; elsewhere
 * (CI logs, pipes) every change is one plain line.
 */

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const FRAME_MS = 100;

interface TaskRow {
  id: string;
  state: 'running' | 'retrying' | 'done' | 'failed';
  model: string | null;
  startedAt: number;
  elapsedMs: number | null;
  note: string;
}

export interface ProgressOptions {
  now?: () => number;
  /** Redraw the spinner on a timer (TTY only); tests turn it off. */
  animate?: boolean;
}

export class ProgressDisplay {
  private readonly rows = new Map<string, TaskRow>();
  private readonly now: () => number;
  private readonly startedAt: number;
  private tokens = 0;
  private finalLine: string | null = null;
  private drawnLines = 0;
  private frame = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly out: Output,
    private readonly title: string,
    options: ProgressOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    if (out.isTTY) {
      this.render();
      if (options.animate ?? true) {
        this.timer = setInterval(() => {
          this.frame++;
          this.render();
        }, FRAME_MS);
        this.timer.unref();
      }
    } else {
      out.line(`${title}: started`);
    }
  }

  /** Applies one run event to the view. */
  handle(event: RunEvent): void {
    switch (event.kind) {
      case 'task_started': {
        this.rows.set(event.task, { id: event.task, state: 'running', model: event.model, startedAt: this.now(), elapsedMs: null, note: '' });
        this.plain(`  … ${event.task} started${event.model ? ` (${event.model})` : ''}`);
        break;
      }
      case 'task_retry': {
        const row = this.row(event.task);
        row.state = 'retrying';
        row.note = `retry${event.attempt !== null ? ` ${event.attempt}` : ''}${event.reason ? ` (${event.reason})` : ''}`;
        this.plain(`  ↻ ${event.task} ${row.note}`);
        break;
      }
      case 'task_completed': {
        const row = this.row(event.task);
        row.state = 'done';
        row.model = event.model ?? row.model;
        row.elapsedMs = event.durationMs ?? this.now() - row.startedAt;
        row.note = '';
        this.plain(`  ✓ ${event.task} ${ms(row.elapsedMs)}${row.model ? ` (${row.model})` : ''}`);
        break;
      }
      case 'task_failed': {
        const row = this.row(event.task);
        row.state = 'failed';
        row.elapsedMs = this.now() - row.startedAt;
        row.note = event.message;
        this.plain(`  ✗ ${event.task} ${ms(row.elapsedMs)}: ${event.message}`);
        break;
      }
      case 'token':
        this.tokens++;
        break;
      case 'completed':
        this.finalLine = `${paint(this.out, 'green', '✓')} ${String(event.body.status ?? 'completed')} in ${ms(this.now() - this.startedAt)}${this.tokens ? `, answer streamed in ${this.tokens} tokens` : ''}`;
        this.plain(`${this.title}: ${this.finalLine}`);
        break;
      case 'error':
        this.finalLine = `${paint(this.out, 'red', '✗')} ${event.message}`;
        this.plain(`${this.title}: ${this.finalLine}`);
        break;
      default:
        return;
    }
    if (this.out.isTTY) this.render();
  }

  /** Stops the spinner and leaves the final state on screen. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.out.isTTY) this.render();
  }

  /** The block as it is drawn now (also what tests read). */
  lines(): string[] {
    const spin = SPINNER[this.frame % SPINNER.length]!;
    const width = Math.max(4, ...[...this.rows.keys()].map((id) => id.length));
    const header = `${paint(this.out, 'bold', this.title)} ${this.finalLine ?? `${spin} ${ms(this.now() - this.startedAt)}`}`;
    const rows = [...this.rows.values()].map((r) => {
      const mark = r.state === 'done' ? paint(this.out, 'green', '✓') : r.state === 'failed' ? paint(this.out, 'red', '✗') : paint(this.out, 'yellow', spin);
      const elapsed = ms(r.elapsedMs ?? this.now() - r.startedAt);
      return `  ${mark} ${r.id.padEnd(width)}  ${(r.model ?? '').padEnd(12)} ${elapsed.padStart(7)}${r.note ? `  ${paint(this.out, 'dim', r.note)}` : ''}`;
    });
    const tokens = this.tokens ? [`  ${paint(this.out, 'dim', `answer: ${this.tokens} tokens`)}`] : [];
    return [header, ...rows, ...tokens];
  }

  private row(id: string): TaskRow {
    let row = this.rows.get(id);
    if (!row) {
      // A task whose start we missed (e.g. a stream joined late) still gets its line.
      row = { id, state: 'running', model: null, startedAt: this.now(), elapsedMs: null, note: '' };
      this.rows.set(id, row);
    }
    return row;
  }

  private plain(line: string): void {
    if (!this.out.isTTY) this.out.line(line);
  }

  private render(): void {
    const lines = this.lines();
    // Never draw fewer lines than last time, or stale ones would stay on screen.
    while (lines.length < this.drawnLines) lines.push('');
    let text = this.drawnLines > 0 ? `\u001b[${this.drawnLines}A` : '';
    for (const line of lines) text += `\r\u001b[2K${line}\n`;
    this.out.write(text);
    this.drawnLines = lines.length;
  }
}
