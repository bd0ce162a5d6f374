/**
 * RunComfy's image rules, in the one format its schemas publish them:
 * `{validation_rule, validation_value, validation_error}`, where the rule is a
 * measure and a comparison ("file_size_mb<", "width/height>"). This module is
 * the one interpreter of that format, so a model's rules are pasted from its
 * schema as data: what they allow, what they say in words, what an image breaks.
 * A rule it cannot read is never skipped: `unknownRules` names it (a test walks
 * every registered model with it) and `imageRuleViolations` refuses to judge by it.
 */
export interface ImageRule {
  validation_rule: string;
  validation_value: number;
  validation_error: string;
}

export const MB = 1024 * 1024;

/** What pre-flight measures of one image; the rules read it. */
export interface ImageMeasure {
  bytes: number;
  /** Reading stopped at the limit: the file has at least `bytes` bytes. */
  bytesAtLeast?: boolean;
  width: number;
  height: number;
}

type Measure = 'file_size_mb' | 'width_pixels' | 'height_pixels' | 'width/height';
type Comparison = '<' | '<=' | '>' | '>=';

const MEASURES: Record<Measure, { of: (m: ImageMeasure) => number; shown: (m: ImageMeasure) => string }> = {
  file_size_mb: { of: (m) => m.bytes / MB, shown: (m) => `${m.bytesAtLeast ? 'more than ' : ''}${(m.bytes / MB).toFixed(2)} MB` },
  width_pixels: { of: (m) => m.width, shown: (m) => `width ${m.width} px` },
  height_pixels: { of: (m) => m.height, shown: (m) => `height ${m.height} px` },
  'width/height': { of: (m) => m.width / m.height, shown: (m) => (m.width / m.height).toFixed(2) },
};

const PASSES: Record<Comparison, (value: number, limit: number) => boolean> = {
  '<': (v, l) => v < l,
  '<=': (v, l) => v <= l,
  '>': (v, l) => v > l,
  '>=': (v, l) => v >= l,
};

interface ReadRule {
  measure: Measure;
  comparison: Comparison;
  value: number;
}

function readRule(rule: ImageRule): ReadRule | undefined {
  const m = /^(.+?)(<=|>=|<|>)$/.exec(rule.validation_rule.trim());
  if (!m || !Object.hasOwn(MEASURES, m[1]!) || !Number.isFinite(rule.validation_value)) return undefined;
  return { measure: m[1] as Measure, comparison: m[2] as Comparison, value: rule.validation_value };
}

/** The rules this interpreter cannot read (empty when it reads them all). */
export function unknownRules(rules: readonly ImageRule[]): ImageRule[] {
  return rules.filter((r) => readRule(r) === undefined);
}

/** Thrown when an image would be judged by a rule this server cannot read: it is refused, never waved through. */
export class UnknownImageRuleError extends Error {
  constructor(readonly rules: readonly ImageRule[]) {
    super(`this server cannot check the image rule(s) ${rules.map((r) => `"${r.validation_rule}"`).join(', ')}`);
    this.name = 'UnknownImageRuleError';
  }
}

export interface RuleViolation {
  rule: ImageRule;
  /** The measured value as a person reads it, e.g. "3.75" or "width 200 px". */
  got: string;
}

/** Every rule the image breaks, in the rules' order (empty when it passes). */
export function imageRuleViolations(rules: readonly ImageRule[], m: ImageMeasure): RuleViolation[] {
  const unknown = unknownRules(rules);
  if (unknown.length > 0) throw new UnknownImageRuleError(unknown);
  return rules.flatMap((rule) => {
    const r = readRule(rule)!;
    const measure = MEASURES[r.measure];
    return PASSES[r.comparison](measure.of(m), r.value) ? [] : [{ rule, got: measure.shown(m) }];
  });
}

/** "end_image_url: <the rule's text> (got 3.75)" — who (a field, or e.g. "shot 3 end_image_url"), the rule's words, the measurement. */
export function describeViolation(label: string, v: RuleViolation): string {
  return `${label}: ${v.rule.validation_error} (got ${v.got})`;
}

/** RunComfy's recommended limit for hosted images, in the rules' own format: the cap when a model publishes no size rule. */
const UNRULED_CAP: ImageRule = { validation_rule: 'file_size_mb<=', validation_value: 50, validation_error: 'File size must be at most 50 MB.' };

/**
 * The rule that bounds reading an image, and the largest byte count it allows:
 * the tightest size rule, or the cap above. Reading stops past it, and an image
 * too large to read whole is told in its words.
 */
export function sizeCap(rules: readonly ImageRule[]): { rule: ImageRule; maxBytes: number } {
  const caps = [...rules, UNRULED_CAP].flatMap((rule) => {
    const r = readRule(rule);
    if (r?.measure !== 'file_size_mb' || !r.comparison.startsWith('<')) return [];
    const limit = r.value * MB;
    return [{ rule, maxBytes: r.comparison === '<' ? Math.ceil(limit) - 1 : Math.floor(limit) }];
  });
  return caps.reduce((a, b) => (b.maxBytes < a.maxBytes ? b : a));
}

const SIZE_WORDS: Record<Comparison, string> = { '<': 'under', '<=': 'at most', '>': 'over', '>=': 'at least' };
const WIDTH_WORDS: Record<Comparison, (v: number) => string> = {
  '<': (v) => `narrower than ${v} px`,
  '<=': (v) => `at most ${v} px wide`,
  '>': (v) => `wider than ${v} px`,
  '>=': (v) => `at least ${v} px wide`,
};
const HEIGHT_WORDS: Record<Comparison, (v: number) => string> = {
  '<': (v) => `shorter than ${v} px`,
  '<=': (v) => `at most ${v} px tall`,
  '>': (v) => `taller than ${v} px`,
  '>=': (v) => `at least ${v} px tall`,
};
const BOTH_WORDS: Record<Comparison, (v: number) => string> = {
  '<': (v) => `narrower and shorter than ${v} px`,
  '<=': (v) => `at most ${v} px wide and tall`,
  '>': (v) => `wider and taller than ${v} px`,
  '>=': (v) => `at least ${v} px wide and tall`,
};

/**
 * The rules in one sentence for a field's description, e.g. "Must be under 10 MB,
 * wider and taller than 300 px, with width/height between 0.40 and 2.50."
 * A rule it cannot read is quoted in its own words, never left out.
 */
export function describeRules(rules: readonly ImageRule[]): string {
  const read = rules.map((rule) => ({ rule, r: readRule(rule) }));
  const of = (measure: Measure) => read.filter((x) => x.r?.measure === measure).map((x) => x.r!);
  const parts: string[] = of('file_size_mb').map((r) => `${SIZE_WORDS[r.comparison]} ${r.value} MB`);
  const widths = of('width_pixels');
  const heights = of('height_pixels');
  const paired = widths.length === 1 && heights.length === 1 && widths[0]!.comparison === heights[0]!.comparison && widths[0]!.value === heights[0]!.value;
  if (paired) parts.push(BOTH_WORDS[widths[0]!.comparison](widths[0]!.value));
  else parts.push(...widths.map((r) => WIDTH_WORDS[r.comparison](r.value)), ...heights.map((r) => HEIGHT_WORDS[r.comparison](r.value)));
  const ratios = of('width/height');
  const low = ratios.filter((r) => r.comparison.startsWith('>'));
  const high = ratios.filter((r) => r.comparison.startsWith('<'));
  const ratio = (v: number) => v.toFixed(2);
  if (low.length === 1 && high.length === 1) parts.push(`with width/height between ${ratio(low[0]!.value)} and ${ratio(high[0]!.value)}`);
  else parts.push(...ratios.map((r) => `with width/height ${SIZE_WORDS[r.comparison]} ${ratio(r.value)}`));
  const sentence = parts.length > 0 ? `Must be ${parts.join(', ')}.` : '';
  const unread = read.filter((x) => !x.r).map((x) => x.rule.validation_error);
  return [sentence, ...unread].filter(Boolean).join(' ');
}
