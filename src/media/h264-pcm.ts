/**
 * A minimal, valid H.264 encoder: Constrained Baseline profile, CAVLC, one
 * slice per picture, every macroblock I_PCM (raw samples, mb_type 25). No
 * prediction and no transform means nothing to get subtly wrong, and every
 * decoder plays it; the price is size (384 bytes per 16×16 block), which is
 * fine for the simulator's small clips.
 *
 * Each picture is an I picture; an IDR starts every group of `keyInterval`
 * pictures, so a clip (and a film stitched from clips) starts on a key frame.
 * Output is AVCC: 4-byte length-prefixed NAL units, with SPS/PPS in the avcC
 * record that MP4 stores as the decoder configuration.
 */
import { BitWriter } from './bit-writer.js';
import { rgbToYuv420 } from './yuv.js';

export interface AvcDecoderConfig {
  /** RFC 6381 codec string, e.g. "avc1.42C01E". */
  codec: string;
  /** Picture size after cropping (what a player shows). */
  codedWidth: number;
  codedHeight: number;
  /** AVCDecoderConfigurationRecord (avcC). */
  description: Uint8Array;
}

export interface AvcPacket {
  /** One access unit, AVCC-framed. */
  data: Uint8Array;
  /** An IDR picture: decoding can start here. */
  key: boolean;
}

const PROFILE_BASELINE = 66;
/** constraint_set0 and constraint_set1: Constrained Baseline, decodable by Main and High decoders too. */
const CONSTRAINTS = 0b1100_0000;
const LOG2_MAX_FRAME_NUM = 4;
const MB_TYPE_I_PCM = 25;
const NAL_SLICE = 1;
const NAL_IDR = 5;
const NAL_SPS = 7;
const NAL_PPS = 8;
/** Bytes of one 8-bit 4:2:0 macroblock: 16×16 luma + two 8×8 chroma. */
const PCM_BYTES = 384;

/** Table A-1 (level_idc, MaxMBPS, MaxFS, MaxBR in kbit/s), smallest first. */
const LEVELS: readonly (readonly [number, number, number, number])[] = [
  [10, 1485, 99, 64],
  [11, 3000, 396, 192],
  [12, 6000, 396, 384],
  [13, 11880, 396, 768],
  [20, 11880, 396, 2000],
  [21, 19800, 792, 4000],
  [22, 20250, 1620, 4000],
  [30, 40500, 1620, 10000],
  [31, 108000, 3600, 14000],
  [32, 216000, 5120, 20000],
  [40, 245760, 8192, 20000],
  [41, 245760, 8192, 50000],
  [42, 522240, 8704, 50000],
  [50, 589824, 22080, 135000],
  [51, 983040, 36864, 240000],
  [52, 2073600, 36864, 240000],
];

function levelFor(mbsWide: number, mbsHigh: number, fps: number): number {
  const mbs = mbsWide * mbsHigh;
  const kbps = (mbs * (PCM_BYTES + 2) * 8 * fps) / 1000;
  const fits = LEVELS.find(
    ([, maxMbps, maxFs, maxBr]) => mbs <= maxFs && mbs * fps <= maxMbps && kbps <= maxBr && Math.max(mbsWide, mbsHigh) ** 2 <= 8 * maxFs,
  );
  if (!fits) throw new RangeError(`${mbsWide * 16}×${mbsHigh * 16} at ${fps} fps is too much for an uncompressed (I_PCM) H.264 stream`);
  return fits[0];
}

/** Wraps an RBSP in a NAL unit: header byte, then emulation prevention (00 00 0x → 00 00 03 0x). */
function nalUnit(type: number, refIdc: number, rbsp: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + rbsp.length + (rbsp.length >> 1) + 1);
  out[0] = (refIdc << 5) | type;
  let n = 1;
  let zeros = 0;
  for (const byte of rbsp) {
    if (zeros >= 2 && byte <= 3) {
      out[n++] = 3;
      zeros = 0;
    }
    out[n++] = byte;
    zeros = byte === 0 ? zeros + 1 : 0;
  }
  return out.subarray(0, n);
}

export class PcmH264Encoder {
  readonly config: AvcDecoderConfig;
  private readonly mbsWide: number;
  private readonly mbsHigh: number;
  private frame = 0;
  private idrCount = 0;

  /**
   * @param width,height picture size in pixels, both even (4:2:0 cropping works in steps of 2)
   * @param fps frames per second (only for choosing the level)
   * @param keyInterval pictures per IDR group
   */
  constructor(
    readonly width: number,
    readonly height: number,
    fps: number,
    private readonly keyInterval = Math.max(1, Math.round(fps * 2)),
  ) {
    for (const [name, v] of [
      ['width', width],
      ['height', height],
    ] as const) {
      if (!Number.isInteger(v) || v < 2 || v % 2 !== 0) throw new RangeError(`${name} must be an even number of pixels ≥ 2, got ${v}`);
    }
    if (!(fps > 0)) throw new RangeError(`fps must be positive, got ${fps}`);
    this.mbsWide = Math.ceil(width / 16);
    this.mbsHigh = Math.ceil(height / 16);
    const sps = nalUnit(NAL_SPS, 3, this.sps(levelFor(this.mbsWide, this.mbsHigh, fps)));
    const pps = nalUnit(NAL_PPS, 3, this.pps());
    this.config = {
      codec: `avc1.${[...sps.subarray(1, 4)]
        .map((b) => b.toString(16).padStart(2, '0'))
        .join('')
        .toUpperCase()}`,
      codedWidth: width,
      codedHeight: height,
      description: avcC(sps, pps),
    };
  }

  /** Encodes one picture from packed 8-bit RGB of `width × height`. */
  encode(rgb: Uint8Array): AvcPacket {
    const key = this.frame % this.keyInterval === 0;
    const frameNum = (this.frame % this.keyInterval) % (1 << LOG2_MAX_FRAME_NUM);
    const yuv = rgbToYuv420(rgb, this.width, this.height, this.mbsWide * 16, this.mbsHigh * 16);
    const w = new BitWriter(this.mbsWide * this.mbsHigh * (PCM_BYTES + 2) + 32);
    // slice_header()
    w.ue(0); // first_mb_in_slice
    w.ue(7); // slice_type: I, and every slice of the picture is I
    w.ue(0); // pic_parameter_set_id
    w.u(LOG2_MAX_FRAME_NUM, frameNum);
    if (key) w.ue(this.idrCount++ & 0xffff); // idr_pic_id: consecutive IDRs must differ
    // dec_ref_pic_marking(): IDR: no_output_of_prior_pics, long_term_reference; else adaptive marking off.
    if (key) w.u(2, 0);
    else w.u(1, 0);
    w.se(0); // slice_qp_delta
    w.ue(1); // disable_deblocking_filter_idc: off (PCM blocks are never filtered anyway)
    // slice_data(): CAVLC I slice, so just the macroblocks, back to back.
    const block = new Uint8Array(PCM_BYTES);
    const cw = this.mbsWide * 8;
    for (let my = 0; my < this.mbsHigh; my++) {
      for (let mx = 0; mx < this.mbsWide; mx++) {
        for (let r = 0; r < 16; r++) {
          const from = (my * 16 + r) * this.mbsWide * 16 + mx * 16;
          block.set(yuv.y.subarray(from, from + 16), r * 16);
        }
        for (let r = 0; r < 8; r++) {
          const from = (my * 8 + r) * cw + mx * 8;
          block.set(yuv.u.subarray(from, from + 8), 256 + r * 8);
          block.set(yuv.v.subarray(from, from + 8), 320 + r * 8);
        }
        w.ue(MB_TYPE_I_PCM).alignZero().raw(block); // pcm_alignment_zero_bits, then the samples
      }
    }
    w.trailing();
    const nal = nalUnit(key ? NAL_IDR : NAL_SLICE, 3, w.bytes());
    const data = new Uint8Array(4 + nal.length);
    new DataView(data.buffer).setUint32(0, nal.length);
    data.set(nal, 4);
    this.frame++;
    return { data, key };
  }

  private sps(level: number): Uint8Array {
    const w = new BitWriter();
    w.u(8, PROFILE_BASELINE).u(8, CONSTRAINTS).u(8, level);
    w.ue(0); // seq_parameter_set_id
    w.ue(LOG2_MAX_FRAME_NUM - 4);
    w.ue(2); // pic_order_cnt_type 2: output order is decode order, nothing to signal per slice
    w.ue(1); // max_num_ref_frames
    w.flag(false); // gaps_in_frame_num_value_allowed_flag
    w.ue(this.mbsWide - 1).ue(this.mbsHigh - 1);
    w.flag(true); // frame_mbs_only_flag
    w.flag(true); // direct_8x8_inference_flag
    const cropRight = this.mbsWide * 16 - this.width;
    const cropBottom = this.mbsHigh * 16 - this.height;
    w.flag(cropRight > 0 || cropBottom > 0);
    if (cropRight > 0 || cropBottom > 0)
      w.ue(0)
        .ue(cropRight / 2)
        .ue(0)
        .ue(cropBottom / 2); // in 2-pixel units for 4:2:0
    // VUI: only the colour description, so players use BT.601 limited range as the samples were made.
    w.flag(true); // vui_parameters_present_flag
    w.flag(false).flag(false); // aspect_ratio_info, overscan_info
    w.flag(true).u(3, 5).flag(false); // video_signal_type: format unspecified, limited range
    w.flag(true).u(8, 6).u(8, 6).u(8, 6); // colour primaries, transfer, matrix: SMPTE 170M (BT.601)
    w.flag(false).flag(false).flag(false).flag(false); // chroma_loc, timing, nal_hrd, vcl_hrd
    w.flag(false).flag(false); // pic_struct_present, bitstream_restriction
    return w.trailing().bytes();
  }

  private pps(): Uint8Array {
    const w = new BitWriter();
    w.ue(0).ue(0); // pic_parameter_set_id, seq_parameter_set_id
    w.flag(false); // entropy_coding_mode_flag: CAVLC
    w.flag(false); // bottom_field_pic_order_in_frame_present_flag
    w.ue(0); // num_slice_groups_minus1
    w.ue(0).ue(0); // num_ref_idx_l0/l1_default_active_minus1
    w.flag(false).u(2, 0); // weighted_pred_flag, weighted_bipred_idc
    w.se(0).se(0).se(0); // pic_init_qp_minus26, pic_init_qs_minus26, chroma_qp_index_offset
    w.flag(true); // deblocking_filter_control_present_flag
    w.flag(false); // constrained_intra_pred_flag
    w.flag(false); // redundant_pic_cnt_present_flag
    return w.trailing().bytes();
  }
}

/** AVCDecoderConfigurationRecord (ISO/IEC 14496-15) with one SPS and one PPS and 4-byte NAL lengths. */
function avcC(sps: Uint8Array, pps: Uint8Array): Uint8Array {
  const out = new Uint8Array(11 + sps.length + pps.length);
  const view = new DataView(out.buffer);
  out.set([1, sps[1]!, sps[2]!, sps[3]!, 0xfc | 3, 0xe0 | 1]);
  view.setUint16(6, sps.length);
  out.set(sps, 8);
  out[8 + sps.length] = 1;
  view.setUint16(9 + sps.length, pps.length);
  out.set(pps, 11 + sps.length);
  return out;
}
