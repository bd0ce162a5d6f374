/**
 * A board's keyframes in film order, as its contact sheet shows them: where shot
 * i ends on the very image shot i+1 starts from, that keyframe is one, labelled
 * "i-(i+1)"; a cut shows both frames.
 */
export interface Keyframe<K> {
  key: K;
  label: string;
}

/** `same` says whether one shot's end frame is the next one's start frame. */
export function keyframeOrder<K>(shots: { start: K; end: K }[], same: (a: K, b: K) => boolean): Keyframe<K>[] {
  const frames: Keyframe<K>[] = [];
  shots.forEach((shot, i) => {
    const last = frames.at(-1);
    if (last && i > 0 && same(shots[i - 1]!.end, shot.start)) last.label += `-${i + 1}`;
    else frames.push({ key: shot.start, label: `${i + 1}` });
    frames.push({ key: shot.end, label: `${i + 1}` });
  });
  return frames;
}
