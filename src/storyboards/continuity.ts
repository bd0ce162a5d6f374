/**
 * What a storyboard's frames say before anything is paid for: where the film
 * cuts (shot i ends on another frame than shot i+1 starts with), and where
 * frames differ in shape enough that Kling's clips would differ in size and
 * could not be joined without re-encoding.
 */

export interface FrameFacts {
  /** Identity of the frame's bytes (sha256), so the same image under two URLs counts as one. */
  sha256: string;
  width: number;
  height: number;
}

export interface ShotFrames {
  start: FrameFacts;
  end: FrameFacts;
}

/** Frames whose aspect ratios differ by more than this (relative) give clips of other sizes. */
export const ASPECT_TOLERANCE = 0.02;

export function continuityWarnings(shots: ShotFrames[]): string[] {
  const warnings: string[] = [];
  for (let i = 0; i + 1 < shots.length; i++) {
    if (shots[i]!.end.sha256 !== shots[i + 1]!.start.sha256) {
      warnings.push(
        `Cut between shot ${i + 1} and shot ${i + 2}: shot ${i + 1} ends on another frame than shot ${i + 2} starts with, so the film jumps there.`,
      );
    }
  }
  const ratio = (f: FrameFacts) => f.width / f.height;
  const first = ratio(shots[0]!.start);
  const odd = shots.flatMap((s, i) =>
    (['start', 'end'] as const)
      .filter((k) => Math.abs(ratio(s[k]) / first - 1) > ASPECT_TOLERANCE)
      .map((k) => `shot ${i + 1} ${k} (${s[k].width}×${s[k].height})`),
  );
  if (odd.length > 0) {
    warnings.push(
      `Aspect ratios differ by more than ${ASPECT_TOLERANCE * 100} % from shot 1's start frame (${shots[0]!.start.width}×${shots[0]!.start.height}): ${odd.join(', ')}. ` +
        'Kling sizes each clip from its frames, and clips of different sizes cannot be joined without re-encoding, so the film may not be stitched.',
    );
  }
  return warnings;
}
