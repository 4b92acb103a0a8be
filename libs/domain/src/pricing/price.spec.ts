import { DEFAULT_CATALOG, UsageKind } from '../catalog/catalog';
import { formatCredits } from '../credits/credits';
import { price } from './price';

const duration = (mmss: string): number => {
  const [m, s] = mmss.split(':').map(Number);
  return (m * 60 + s) * 1000;
};

describe('the rate card (pricing.md section 4, worked examples)', () => {
  const examples: Array<[string, UsageKind, string, string]> = [
    ['unlimited avatar video', 'avatar_video.unlimited', '0:01', '0.5'],
    ['unlimited avatar video', 'avatar_video.unlimited', '0:29', '0.5'],
    ['unlimited avatar video', 'avatar_video.unlimited', '0:30', '1'],
    ['unlimited avatar video', 'avatar_video.unlimited', '0:59', '1'],
    ['unlimited avatar video', 'avatar_video.unlimited', '1:00', '1.5'],
    ['unlimited avatar video', 'avatar_video.unlimited', '1:29', '1.5'],
    ['unlimited avatar video', 'avatar_video.unlimited', '1:43', '2'],
    ['video translation', 'video_translation', '0:01', '1.5'],
    ['video translation', 'video_translation', '0:30', '3'],
    ['video translation', 'video_translation', '1:00', '4.5'],
    ['video translation', 'video_translation', '1:43', '6'],
    ['API streaming', 'streaming.api', '0:10', '0.1'],
    ['API streaming', 'streaming.api', '5:00', '1'],
    ['API streaming', 'streaming.api', '7:30', '1.5'],
    ['LiveAvatar Full SDK', 'streaming.live_avatar_full', '1:00', '2'],
    ['LiveAvatar Custom SDK', 'streaming.live_avatar_custom', '1:30', '1.5'],
  ];
  it.each(examples)('%s of %s (%s) costs %s credits', (_name, kind, mmss, credits) => {
    expect(formatCredits(price(kind, duration(mmss), DEFAULT_CATALOG).credits)).toBe(credits);
  });

  it('counts blocks from whole seconds: 29.999 s is one block, 30.000 s two', () => {
    expect(price('avatar_video.unlimited', 29_999, DEFAULT_CATALOG).units).toBe(1);
    expect(price('avatar_video.unlimited', 30_000, DEFAULT_CATALOG).units).toBe(2);
  });

  it('rounds a per-second rate once, upward, to the millionth: 31 s of API streaming', () => {
    // 31/300 credit = 0.10333.. -> 0.103334
    expect(formatCredits(price('streaming.api', 31_000, DEFAULT_CATALOG).credits)).toBe('0.103334');
  });

  it('prices avatar_iv at 3 credits and proofreading at 0.25 per started block (defaults)', () => {
    expect(formatCredits(price('avatar_video.avatar_iv', 61_000, DEFAULT_CATALOG).credits)).toBe('9');
    expect(formatCredits(price('proofreading', 120_000, DEFAULT_CATALOG).credits)).toBe('1.25');
  });

  it('refuses a zero or negative duration', () => {
    expect(() => price('avatar_video.unlimited', 0, DEFAULT_CATALOG)).toThrow(/positive/);
    expect(() => price('streaming.api', -5, DEFAULT_CATALOG)).toThrow(/positive/);
  });
});
