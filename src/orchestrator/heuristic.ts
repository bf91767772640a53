/**
 * The fallback classifier, used when the categorizer model fails or its circuit
 * is open. It looks at the shape of the request: how long it is, whether it is
 * a focused question, how many steps it asks for, and which deliverables it names.
 */

export type Category = 'L' | 'M' | 'H';

export interface HeuristicResult {
  category: Category;
  reasoning: string;
}

/** Verbs that each describe a separate piece of work. */
const STEP_VERBS =
  /\b(research|investigate|analy[sz]e|compare|evaluate|assess|plan|design|architect|build|implement|develop|draft|outline|write|create|produce|review|test|summari[sz]e|translate|prioriti[sz]e|benchmark|estimate|forecast|launch)\b/gi;
/** Words that chain steps together. */
const SEQUENCING = /\b(then|after that|afterwards|next|finally|step[- ]by[- ]step|followed by|and also|as well as)\b/gi;
/** Substantial artefacts that usually take several steps to make. */
const DELIVERABLES =
  /\b(report|business plan|strategy|campaign|proposal|white ?paper|roadmap|curriculum|course|application|app|website|codebase|project|marketing plan|research paper|thesis|presentation|pitch deck|test suite|documentation|book|ebook|study plan|itinerary)\b/gi;
/** A focused question: starts like one or ends with a question mark. */
const QUESTION_START = /^(what|who|whom|whose|when|where|which|why|how|is|are|was|were|do|does|did|can|could|should|would|will|define|explain|calculate|compute|solve|prove)\b/i;
/**
 * Numbered or bulleted lines: an explicit list of steps. The indent before the marker stays on its
 * line (no line terminator): a leading `\s*` could run across every following blank line from each
 * line start, quadratic in a long run of them (40,000 blank lines took 2 s). The count is the same.
 */
const LIST_LINE = /^[^\S\n\r\u2028\u2029]*(\d+[.)]|[-*•])\s+/gm;

const count = (text: string, pattern: RegExp): number => text.match(pattern)?.length ?? 0;

export function classifyHeuristically(message: string): HeuristicResult {
  const text = message.trim();
  const chars = text.length;
  const verbs = new Set((text.match(STEP_VERBS) ?? []).map((v) => v.toLowerCase())).size;
  const sequencing = count(text, SEQUENCING);
  const deliverables = count(text, DELIVERABLES);
  const listLines = count(text, LIST_LINE);
  const steps = verbs + sequencing + (listLines >= 3 ? 2 : 0);
  const facts = `${chars} characters, ${verbs} distinct task verbs, ${sequencing} sequencing words, ${deliverables} deliverables, ${listLines} list lines`;

  const multiStep = (deliverables >= 1 && steps >= 3) || steps >= 5 || (chars > 1500 && (deliverables >= 1 || steps >= 2));
  if (multiStep) return { category: 'H', reasoning: `multi-step request with deliverables (${facts})` };

  const question = QUESTION_START.test(text) || text.endsWith('?');
  if (question && chars <= 300 && deliverables === 0) {
    return { category: 'L', reasoning: `short focused question (${facts})` };
  }
  return { category: 'M', reasoning: `single-step request (${facts})` };
}
