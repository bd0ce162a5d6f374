/**
 * One progress stream for a whole storyboard: checking the frames, submitting
 * the shots, rendering them (the mean of every shot's own progress) and
 * finishing (saving and stitching), each a share of the bar. The value only
 * ever goes up, whatever order the shots report in.
 */
import type { ProgressSink, ProgressUpdate } from '../polling/progress.js';

const SHARE = { check: 5, submit: 5, render: 85, finish: 5 } as const;

export class BoardProgress {
  private readonly render: number[];
  private checked = 0;
  private submitted = 0;
  private finished = 0;
  private last = 0;

  constructor(
    private readonly sink: ProgressSink | undefined,
    private readonly shots: number,
  ) {
    this.render = Array<number>(shots).fill(0);
  }

  framesChecked(): void {
    this.checked = 1;
    this.emit('frames checked');
  }

  /** `count` shots are submitted (or were before this call). */
  shotsSubmitted(count: number, message: string): void {
    this.submitted = Math.max(this.submitted, count / this.shots);
    this.emit(message);
  }

  /** A shot that already ended before this call counts as rendered. */
  shotDone(index: number): void {
    this.render[index - 1] = 1;
  }

  /** The sink a shot's wait reports to; its updates move the board's bar. */
  shotSink(index: number): ProgressSink {
    return (p: ProgressUpdate) => {
      this.render[index - 1] = Math.max(this.render[index - 1]!, p.progress / p.total);
      return this.emit(`shot ${index}: ${p.message}`);
    };
  }

  /** Saving the clips , then stitching: each moves the last share of the bar. */
  finishing(step: 'saving' | 'stitching', message: string): void {
    this.finished = Math.max(this.finished, step === 'saving' ? 0.2 : 0.6);
    this.emit(message);
  }

  private emit(message: string): void | Promise<void> {
    if (!this.sink) return;
    const renderMean = this.render.reduce((a, b) => a + b, 0) / this.shots;
    const value = SHARE.check * this.checked + SHARE.submit * this.submitted + SHARE.render * renderMean + SHARE.finish * this.finished;
    const progress = Math.min(99.9, Math.round(value * 100) / 100);
    if (progress <= this.last) return;
    this.last = progress;
    const done = this.render.filter((r) => r >= 1).length;
    return this.sink({ progress, total: 100, message: `${done}/${this.shots} shots rendered · ${message}` });
  }
}
