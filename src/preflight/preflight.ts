/**
 * Pre-flight: both images fetched and checked in parallel before anything is
 * submitted. Every problem of both images is reported at once, so one round
 * trip fixes them all.
 */
import { KlingError, isKlingError } from '../errors.js';
import { IMAGE_FIELDS, type ImageField, type ModelInput } from '../model/kling-o1.js';
import type { ImageFetcher } from './fetch-image.js';
import { inspectImage, type ImageReport } from './inspect-image.js';

export type PreflightReport = Record<ImageField, ImageReport>;

export async function preflightImages(input: ModelInput, fetcher: ImageFetcher, signal?: AbortSignal): Promise<PreflightReport> {
  const outcomes = await Promise.allSettled(
    IMAGE_FIELDS.map(async (field) => inspectImage(field, await fetcher.fetch(field, input[field], signal))),
  );
  const problems: KlingError[] = [];
  const reports: Partial<PreflightReport> = {};
  outcomes.forEach((o, i) => {
    const field = IMAGE_FIELDS[i]!;
    if (o.status === 'rejected') {
      if (!isKlingError(o.reason)) throw o.reason;
      problems.push(o.reason);
    } else if (o.value.ok) {
      reports[field] = o.value.report;
    } else {
      for (const p of o.value.problems) problems.push(new KlingError('image_rejected', p));
    }
  });
  const aborted = problems.find((p) => p.code === 'aborted');
  if (aborted) throw aborted;
  if (problems.length > 0) {
    const codes = new Set(problems.map((p) => p.code));
    const code = codes.size === 1 ? problems[0]!.code : 'image_rejected';
    throw new KlingError(code, `${problems.map((p) => p.message).join('\n')}\nNothing was submitted; fix the image(s) and call again.`);
  }
  return reports as PreflightReport;
}
