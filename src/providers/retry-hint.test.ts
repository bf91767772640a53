import { describe, expect, it } from 'vitest';
import { messageHint, parseDuration, parseRetryAfter, retryHintMs } from './retry-hint.js';

const NOW = Date.parse('2025-01-01T00:00:00Z');

describe('retry hints', () => {
  it('parses Retry-After as seconds (fractional too) or as an HTTP date', () => {
    expect(parseRetryAfter('2', NOW)).toBe(2000);
    expect(parseRetryAfter('0.5', NOW)).toBe(500);
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:07 GMT', NOW)).toBe(7000);
    expect(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', NOW)).toBe(0);
    expect(parseRetryAfter('1500ms', NOW)).toBe(1500);
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter(undefined, NOW)).toBeUndefined();
  });

  it('parses Go and protobuf durations', () => {
    expect(parseDuration('1s')).toBe(1000);
    expect(parseDuration('6m0s')).toBe(360_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('1m30.5s')).toBe(90_500);
    expect(parseDuration('1h2m')).toBe(3_720_000);
    expect(parseDuration('0.5s')).toBe(500);
    expect(parseDuration('17.361040885s')).toBe(17_362);
    expect(parseDuration('soon')).toBeUndefined();
    expect(parseDuration('12')).toBeUndefined();
  });

  it('prefers retry-after-ms to Retry-After', () => {
    expect(retryHintMs({ 'retry-after-ms': '2500', 'retry-after': '3' }, {}, undefined, NOW)).toBe(2500);
    expect(retryHintMs({ 'retry-after-ms': '120.5' }, {}, undefined, NOW)).toBe(121);
    expect(retryHintMs({ 'retry-after': 'Wed, 01 Jan 2025 00:00:04 GMT' }, {}, undefined, NOW)).toBe(4000);
  });

  it('reads OpenAI and Groq reset durations only when the matching remaining count is 0', () => {
    const spent = { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '6m0s', 'x-ratelimit-remaining-tokens': '1200', 'x-ratelimit-reset-tokens': '2s' };
    expect(retryHintMs(spent, {}, undefined, NOW)).toBe(360_000);
    const tokens = { 'x-ratelimit-remaining-requests': '59', 'x-ratelimit-reset-requests': '1s', 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': '1m30.5s' };
    expect(retryHintMs(tokens, {}, undefined, NOW)).toBe(90_500);
    expect(retryHintMs({ 'x-ratelimit-remaining-requests': '3', 'x-ratelimit-reset-requests': '20s' }, {}, undefined, NOW)).toBeUndefined();
  });

  it('takes the longest of the header, window and body hints', () => {
    expect(retryHintMs({ 'retry-after': '1', 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': '250ms' }, {}, undefined, NOW)).toBe(1000);
    expect(retryHintMs({ 'retry-after': '1', 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': '20s' }, {}, undefined, NOW)).toBe(20_000);
  });

  it("reads Anthropic's RFC 3339 resets and OpenRouter's epoch-ms reset", () => {
    const anthropic = { 'anthropic-ratelimit-requests-remaining': '0', 'anthropic-ratelimit-requests-reset': '2025-01-01T00:00:20Z' };
    expect(retryHintMs(anthropic, {}, undefined, NOW)).toBe(20_000);
    const openrouter = { 'x-ratelimit-limit': '20', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW + 5000) };
    expect(retryHintMs(openrouter, {}, undefined, NOW)).toBe(5000);
  });

  it("reads Google's RetryInfo from error.details[], also in an array body", () => {
    const body = {
      error: {
        code: 429,
        status: 'RESOURCE_EXHAUSTED',
        message: 'quota',
        details: [
          { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [] },
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '3s' },
        ],
      },
    };
    expect(retryHintMs({}, body, undefined, NOW)).toBe(3000);
    expect(retryHintMs({}, [{ error: { details: [{ retryDelay: '0.5s' }] } }], undefined, NOW)).toBe(500);
    expect(retryHintMs({}, { error: { details: [{ retryDelay: { seconds: 2, nanos: 500_000_000 } }] } }, undefined, NOW)).toBe(2500);
  });

  it('falls back to the wording of the message', () => {
    expect(messageHint('Rate limit reached for gpt-4o ... Please try again in 6s.')).toBe(6000);
    expect(messageHint('Please try again in 820ms.')).toBe(820);
    expect(messageHint('Quota exceeded. Please retry in 17.3s.')).toBe(17_300);
    expect(messageHint('try again in 2 minutes')).toBe(120_000);
    expect(messageHint('try again later')).toBeUndefined();
    expect(retryHintMs({ 'retry-after': '1' }, {}, 'Please try again in 6s.', NOW)).toBe(1000);
  });
});
