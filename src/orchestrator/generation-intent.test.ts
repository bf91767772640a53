import { describe, expect, it } from 'vitest';
import { detectGeneration } from './generation-intent.js';

describe('detectGeneration', () => {
  it('recognises requests to create an image', () => {
    expect(detectGeneration('Generate an image of a red fox in the snow')).toBe('image');
    expect(detectGeneration('Please create a logo for my bakery')).toBe('image');
    expect(detectGeneration('Draw me a cat wearing a hat')).toBe('image');
  });

  it('recognises requests to create a video', () => {
    expect(detectGeneration('Make a short video of waves crashing on rocks')).toBe('video');
    expect(detectGeneration('generate a 5 second animation of a spinning cube')).toBe('video');
  });

  it('leaves questions about media and ordinary text requests alone', () => {
    expect(detectGeneration('How do I create a Docker image for my app?')).toBeNull();
    expect(detectGeneration('Write a poem about pictures on a wall')).toBeNull();
    expect(detectGeneration('Summarise this article about video games')).toBeNull();
  });
});
