/**
 * Spots a request to *make* an image or a video (as opposed to talking about
 * one), so /chat can send it to the configured generation model.
 */

const MAKE = '(?:create|generate|draw|paint|render|make|design|produce|sketch|illustrate|animate|film|shoot)';
const GAP = "(?:[^.?!\\n]{0,60}?)";
const IMAGE_NOUN = '(?:image|picture|photo|photograph|illustration|drawing|painting|logo|icon|artwork|poster|wallpaper|portrait|sketch)s?';
const VIDEO_NOUN = '(?:video|clip|animation|movie|film|footage)s?';

const VIDEO = new RegExp(`\\b${MAKE}\\b${GAP}\\b${VIDEO_NOUN}\\b`, 'i');
const IMAGE = new RegExp(`\\b${MAKE}\\b${GAP}\\b${IMAGE_NOUN}\\b`, 'i');
/** "draw me a cat", "paint a sunset": these verbs alone ask for a picture. */
const PICTURE_VERB = /^\s*(?:please\s+)?(?:draw|paint|sketch|illustrate)\b/i;
/** Questions about making media ("how do I create a Docker image?") are not requests for media. */
const ASKING_ABOUT = /^\s*(?:how|why|what|when|where|which|who|explain|describe|tell me (?:how|why|about))\b/i;

export type GenerationKind = 'image' | 'video';

export function detectGeneration(message: string): GenerationKind | null {
  const text = message.trim();
  if (ASKING_ABOUT.test(text)) return null;
  if (VIDEO.test(text)) return 'video';
  if (IMAGE.test(text) || PICTURE_VERB.test(text)) return 'image';
  return null;
}
