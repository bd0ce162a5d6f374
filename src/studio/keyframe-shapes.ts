/**
 * What the keyframe tool lists: the aspect ratios each image family offers and a keyframe as its answer shows it.
 * Making keyframes (keyframes.ts) loads on the tool's first call: no start needs it.
 */
import { z } from 'zod';
import { savedFileSchema } from '../ledger/records.js';
import { aspectValue, type ImageFamily } from '../models/image-family.js';
import { imageRuleViolations } from '../models/image-rules.js';
import { DEFAULT_MODEL } from '../models/registry.js';

export const DEFAULT_ASPECT = '16:9';

export const keyframeViewSchema = z.object({
  keyframe_id: z.string().describe('use it as a frame (start_image_url, end_image_url) or a reference'),
  status: z.string().describe('made, reused (made before, no cost), or where its job stands'),
  request_id: z.string().optional(),
  file: savedFileSchema.optional(),
  url: z.string().optional().describe("RunComfy's URL of the image"),
  width: z.number().optional(),
  height: z.number().optional(),
  cost_usd: z.number().optional().describe('what this call spent on it: 0 when reused'),
  references: z.array(z.string()).optional().describe('what it was made from: keyframe ids or image sha256'),
  error: z.string().optional(),
});
export type KeyframeView = z.output<typeof keyframeViewSchema>;

export interface KeyframesReply {
  model: string;
  keyframes: KeyframeView[];
  /** What this call spent (estimates until RunComfy charges). */
  cost_usd: number | null;
  done: boolean;
}

/** The frame the seed model takes: its start frame's rules bound every keyframe's shape. */
const FRAME_RULES = DEFAULT_MODEL.images.start_image_url.rules;

/** Whether a Kling frame of this aspect ratio passes the frame's width/height rules. */
export function frameTakes(aspect: string): boolean {
  const value = aspectValue(aspect);
  if (value === undefined) return false;
  const ratioRules = FRAME_RULES.filter((r) => r.validation_rule.startsWith('width/height'));
  return imageRuleViolations(ratioRules, { bytes: 0, width: value * 1000, height: 1000 }).length === 0;
}

/** The aspect ratios of a family: offered by both its endpoints, and ones a Kling frame accepts. */
export function familyAspects(family: ImageFamily): string[] {
  const of = (m: ImageFamily['text']) => (m.schema.properties.aspect_ratio?.enum ?? []).map(String);
  const reference = new Set(of(family.reference));
  return of(family.text).filter((a) => reference.has(a) && frameTakes(a));
}
