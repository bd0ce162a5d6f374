/**
 * Keyframes, made as one batch: the model family chosen by `model` (its
 * text-to-image endpoint, or with references its reference endpoint), each
 * reference (an image or an earlier keyframe's id) pre-flighted by the
 * reference endpoint's own rules, every aspect ratio one the model offers and
 * a Kling frame accepts, then made all or nothing (batch.ts). The ledger keeps
 * each keyframe's id, its inputs' key and what it was made from.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { KlingError } from '../errors.js';
import { inFlight, newAssetId } from '../jobs/assets.js';
import { jobCostUsd, jobPhase } from '../ledger/records.js';
import type { ImageFamily } from '../models/image-family.js';
import type { ImageSpec } from '../models/model.js';
import { outputUrls } from '../models/output.js';
import { IMAGE_FAMILIES, imageFamily, modelById, modelByKey } from '../models/registry.js';
import { checkFrames } from '../preflight/frames.js';
import { formatUsd, roundUsd } from '../util/format.js';
import { batchProgress, makeAssets, type AssetOutcome, type AssetWork } from './batch.js';
import type { StudioCall, StudioDeps } from './deps.js';
import { DEFAULT_ASPECT, familyAspects, frameTakes, type KeyframesReply, type KeyframeView } from './keyframe-shapes.js';

export interface KeyframeArgs {
  keyframes: { prompt: string; references?: string[]; new?: boolean }[];
  aspect_ratio?: string;
  resolution?: string;
  model?: string;
}

/** The family `model` names (default: the first), or `invalid_model` naming the ones there are. */
export function familyOf(name: string | undefined): ImageFamily {
  const family = imageFamily(name ?? IMAGE_FAMILIES[0]!.key);
  if (family) return family;
  const known = IMAGE_FAMILIES.map((f) => `${f.key} (${f.text.id}, ${f.reference.id})`).join('; ');
  const other = modelById(name!) ?? modelByKey(name!);
  const why = other
    ? `${name} makes ${other.makes === 'audio' ? 'music' : `${other.makes}s`}, not keyframes`
    : `no image model "${name}" is known to this server`;
  throw new KlingError('invalid_model', `model: ${why}. Keyframes are made with: ${known}. Nothing was submitted.`);
}

export async function makeKeyframes(deps: StudioDeps, call: StudioCall, args: KeyframeArgs): Promise<KeyframesReply> {
  const family = familyOf(args.model);
  const aspect = args.aspect_ratio ?? DEFAULT_ASPECT;
  const aspects = familyAspects(family);
  if (!aspects.includes(aspect)) {
    const why = frameTakes(aspect) ? `${family.name} does not offer it` : 'a Kling frame takes width/height 0.40–2.50 only';
    throw new KlingError(
      'invalid_input',
      `aspect_ratio "${aspect}" cannot be used (${why}); with ${family.key} use one of: ${aspects.join(', ')}. Nothing was submitted.`,
    );
  }
  const tiers = family.text.schema.properties.resolution?.enum?.map(String);
  if (args.resolution !== undefined && !tiers) {
    throw new KlingError('invalid_input', `resolution: ${family.name} has no resolution choice; leave resolution out. Nothing was submitted.`);
  }
  if (args.resolution !== undefined && !tiers!.includes(args.resolution)) {
    throw new KlingError('invalid_input', `resolution "${args.resolution}" is not one ${family.name} offers (${tiers!.join(', ')}). Nothing was submitted.`);
  }
  const maxRefs = family.reference.schema.properties[family.referenceField]?.maxItems ?? 1;
  args.keyframes.forEach((k, i) => {
    if ((k.references?.length ?? 0) > maxRefs) {
      throw new KlingError(
        'invalid_input',
        `keyframes[${i}].references: ${k.references!.length} references, but ${family.reference.title} takes at most ${maxRefs}. Nothing was submitted.`,
      );
    }
  });

  // RunComfy's live schema of each endpoint the batch uses, against what would be sent (its drift refuses here).
  const bodies = (refs: boolean) =>
    args.keyframes.flatMap((k, i) =>
      (k.references?.length ?? 0) > 0 === refs
        ? [
            {
              label: `keyframes[${i}]`,
              body: {
                prompt: k.prompt,
                aspect_ratio: aspect,
                ...(args.resolution && { resolution: args.resolution }),
                ...(refs && { [family.referenceField]: k.references }),
              },
            },
          ]
        : [],
    );
  const [text, reference] = await Promise.all([
    bodies(false).length > 0 ? deps.live.check(family.text, bodies(false), call.signal) : family.text,
    bodies(true).length > 0 ? deps.live.check(family.reference, bodies(true), call.signal) : family.reference,
  ]);
  // Every reference of the batch, checked once each by the reference endpoint's own rules, before anything is paid for.
  const spec = (reference.images as Readonly<Record<string, ImageSpec>>)[family.referenceField]!;
  const frames = args.keyframes.flatMap((k, i) => (k.references ?? []).map((ref, j) => ({ label: `keyframes[${i}].references[${j}]`, ref, spec })));
  const checked = frames.length > 0 ? await checkFrames(frames, await deps.sources(), call.signal) : new Map();

  const work: AssetWork[] = args.keyframes.map((k) => {
    const refs = (k.references ?? []).map((ref) => ({ ref, ...checked.get(ref)! }));
    const model = refs.length > 0 ? reference : text;
    const fields = { prompt: k.prompt, aspect_ratio: aspect, ...(args.resolution && { resolution: args.resolution }) };
    const send = model.input.parse({ ...fields, ...(refs.length > 0 && { [family.referenceField]: refs.map((r) => r.send) }) });
    const key = createHash('sha256')
      .update(JSON.stringify([family.key, model.id, k.prompt, refs.map((r) => r.sha256), aspect, send.resolution ?? null]))
      .digest('hex');
    const references = refs.map((r) => ({ ...(r.record.startsWith('kf-') && { keyframe_id: r.record }), sha256: r.sha256 }));
    const record = {
      ...send,
      ...(refs.length > 0 && { [family.referenceField]: refs.map((r) => r.record) }),
      asset: { id: newAssetId('keyframe'), key, ...(refs.length > 0 && { references }) },
    };
    return { model, send, record, fresh: k.new === true };
  });

  const n = work.length;
  const outcomes = await makeAssets(deps, call, {
    kind: 'keyframe',
    what: `${n === 1 ? 'one keyframe' : `a batch of ${n} keyframes`} (${family.name})`,
    work,
    onProgress: batchProgress(call.progress, 'keyframes'),
  });
  const keyframes = await Promise.all(outcomes.map((x) => keyframeView(x)));
  const spent = outcomes.every((x) => x.reused || (x.job && jobCostUsd(x.job) !== undefined))
    ? roundUsd(outcomes.reduce((sum, x) => sum + (x.reused ? 0 : (jobCostUsd(x.job!) ?? 0)), 0))
    : null;
  return { model: family.key, keyframes, cost_usd: spent, done: keyframes.every((k) => k.file || k.error) };
}

/** One keyframe as the answer shows it: its id, where its job stands, and once made its file, URL and size. */
async function keyframeView(made: AssetOutcome): Promise<KeyframeView> {
  const refs = made.job?.input?.asset?.references?.map((r) => r.keyframe_id ?? r.sha256);
  const base = { keyframe_id: made.id, ...(refs?.length && { references: refs }) };
  if (!made.job) return { ...base, ...inFlight(made.pending, '`new: true` on this keyframe') };
  const job = made.job;
  const phase = jobPhase(job);
  const cost = made.reused ? 0 : jobCostUsd(job);
  const common = { ...base, request_id: job.request_id, ...(cost !== undefined && { cost_usd: roundUsd(cost) }) };
  const file = job.files[0];
  if (phase === 'completed' && file) {
    const { default: sharp, oneAtATime } = await import('../media/sharp.js');
    const meta = await oneAtATime(() => sharp(file.path).metadata()).catch(() => undefined);
    return {
      ...common,
      status: made.reused ? 'reused' : 'made',
      file,
      ...(outputUrls(job.output)[0] && { url: outputUrls(job.output)[0]!.url }),
      ...(meta?.width && { width: meta.width, height: meta.height }),
    };
  }
  const error = job.errors.at(-1)?.message;
  if (phase === 'failed' || phase === 'cancelled' || phase === 'outcome_unknown') return { ...common, status: phase, ...(error && { error }) };
  return { ...common, status: phase === 'completed' ? 'made, not saved yet' : phase, ...(phase === 'completed' && error && { error }) };
}

/** The answer's text: one line per keyframe, then what it cost and what to do next. */
export function keyframesText(r: KeyframesReply, waitS: number): string {
  const lines = r.keyframes.map((k, i) => {
    const where = k.file ? ` · ${path.basename(k.file.path)} ${k.width}×${k.height}` : '';
    const made = k.references ? ` · from ${k.references.map((x) => (x.startsWith('kf-') ? x : `${x.slice(0, 8)}…`)).join(', ')}` : '';
    return `${i + 1}. ${k.keyframe_id} · ${k.status}${where}${made}${k.error ? ` · ${k.error}` : ''}`;
  });
  const cost = r.cost_usd === null ? 'cost: price unknown until RunComfy charges' : `cost of this call: ${formatUsd(r.cost_usd)}`;
  const next = r.done
    ? 'Use a keyframe_id as start_image_url/end_image_url in generate_video or a storyboard, or as a reference for the next keyframes.'
    : `Not all are done: call generate_keyframes again with the same batch (nothing is paid twice; wait_seconds up to ${waitS}).`;
  return [`Keyframes (${r.model}):`, ...lines, cost, next].join('\n');
}
