/**
 * A test-only decoder for the simulator's clips. Node has no WebCodecs, but
 * those clips are I_PCM H.264 (raw samples in the bitstream), so reading the
 * packets with mediabunny and parsing SPS, slice headers and PCM macroblocks
 * by the spec gives back the pictures. Written apart from the encoder, so it
 * checks the bitstream rather than repeating the encoder's assumptions.
 */
import { ALL_FORMATS, BufferSource, EncodedPacketSink, FilePathSource, Input } from 'mediabunny';

class BitReader {
  private bit = 0;
  constructor(private readonly b: Uint8Array) {}
  u(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++, this.bit++) v = (v << 1) | ((this.b[this.bit >> 3]! >> (7 - (this.bit & 7))) & 1);
    return v;
  }
  ue(): number {
    let zeros = 0;
    while (this.u(1) === 0) zeros++;
    return (1 << zeros) - 1 + this.u(zeros);
  }
  se(): number {
    const k = this.ue();
    return k % 2 ? (k + 1) / 2 : -k / 2;
  }
  align(): void {
    while (this.bit & 7) if (this.u(1) !== 0) throw new Error('pcm_alignment_zero_bit is not zero');
  }
  bytes(n: number): Uint8Array {
    if (this.bit & 7) throw new Error('not byte-aligned');
    const out = this.b.subarray(this.bit >> 3, (this.bit >> 3) + n);
    this.bit += 8 * n;
    return out;
  }
  get bitsLeft(): number {
    return this.b.length * 8 - this.bit;
  }
}

/** NAL payload with emulation prevention bytes (00 00 03) removed. */
function rbsp(nal: Uint8Array): Uint8Array {
  const out: number[] = [];
  let zeros = 0;
  for (const byte of nal.subarray(1)) {
    if (zeros >= 2 && byte === 3) {
      zeros = 0;
      continue;
    }
    out.push(byte);
    zeros = byte === 0 ? zeros + 1 : 0;
  }
  return Uint8Array.from(out);
}

interface Sps {
  mbsWide: number;
  mbsHigh: number;
  width: number;
  height: number;
  log2MaxFrameNum: number;
  pocType: number;
  log2MaxPocLsb: number;
  /** From the PPS: whether slice headers carry deblocking settings. */
  deblockingControl: boolean;
}

function parsePps(nal: Uint8Array): { deblockingControl: boolean } {
  const r = new BitReader(rbsp(nal));
  r.ue(); // pps id
  r.ue(); // sps id
  if (r.u(1) !== 0) throw new Error('CABAC is not handled');
  r.u(1); // bottom_field_pic_order_in_frame_present
  if (r.ue() !== 0) throw new Error('slice groups are not handled');
  r.ue(); // num_ref_idx_l0_default_active_minus1
  r.ue(); // num_ref_idx_l1_default_active_minus1
  r.u(3); // weighted_pred_flag, weighted_bipred_idc
  r.se(); // pic_init_qp_minus26
  r.se(); // pic_init_qs_minus26
  r.se(); // chroma_qp_index_offset
  return { deblockingControl: r.u(1) === 1 };
}

function parseSps(nal: Uint8Array, pps: { deblockingControl: boolean }): Sps {
  const r = new BitReader(rbsp(nal));
  const profile = r.u(8);
  r.u(16); // constraint flags, level
  r.ue(); // sps id
  if (profile !== 66 && profile !== 77) throw new Error(`profile ${profile} not handled by the test decoder`);
  const log2MaxFrameNum = r.ue() + 4;
  const pocType = r.ue();
  const log2MaxPocLsb = pocType === 0 ? r.ue() + 4 : 0;
  if (pocType === 1) throw new Error('pic_order_cnt_type 1 not handled');
  r.ue(); // max_num_ref_frames
  r.u(1); // gaps
  const mbsWide = r.ue() + 1;
  const mbsHigh = r.ue() + 1;
  if (r.u(1) !== 1) throw new Error('interlaced streams not handled');
  r.u(1); // direct_8x8_inference
  let [cl, cr, ct, cb] = [0, 0, 0, 0];
  if (r.u(1)) [cl, cr, ct, cb] = [r.ue(), r.ue(), r.ue(), r.ue()];
  return { mbsWide, mbsHigh, width: mbsWide * 16 - 2 * (cl + cr), height: mbsHigh * 16 - 2 * (ct + cb), log2MaxFrameNum, pocType, log2MaxPocLsb, ...pps };
}

/** One picture as packed RGB (BT.601, limited range), cropped to the SPS's size. */
function decodeSlice(nal: Uint8Array, sps: Sps): Buffer {
  const type = nal[0]! & 0x1f;
  const refIdc = nal[0]! >> 5;
  const r = new BitReader(rbsp(nal));
  if (r.ue() !== 0) throw new Error('only one slice per picture is handled');
  const sliceType = r.ue() % 5;
  if (sliceType !== 2) throw new Error(`slice type ${sliceType} is not I`);
  r.ue(); // pps id
  r.u(sps.log2MaxFrameNum);
  if (type === 5) r.ue(); // idr_pic_id
  if (sps.pocType === 0) r.u(sps.log2MaxPocLsb);
  if (refIdc !== 0) {
    if (type === 5) r.u(2);
    else if (r.u(1)) throw new Error('adaptive reference marking not handled');
  }
  r.se(); // slice_qp_delta
  if (sps.deblockingControl && r.ue() !== 1) {
    r.se(); // slice_alpha_c0_offset_div2
    r.se(); // slice_beta_offset_div2
  }
  const cw = sps.mbsWide * 16;
  const ch = sps.mbsHigh * 16;
  const y = new Uint8Array(cw * ch);
  const u = new Uint8Array((cw / 2) * (ch / 2));
  const v = new Uint8Array((cw / 2) * (ch / 2));
  for (let mb = 0; mb < sps.mbsWide * sps.mbsHigh; mb++) {
    const mbType = r.ue();
    if (mbType !== 25) throw new Error(`macroblock ${mb} is type ${mbType}, not I_PCM`);
    r.align();
    const mx = mb % sps.mbsWide;
    const my = Math.floor(mb / sps.mbsWide);
    const luma = r.bytes(256);
    for (let row = 0; row < 16; row++) y.set(luma.subarray(row * 16, row * 16 + 16), (my * 16 + row) * cw + mx * 16);
    for (const plane of [u, v]) {
      const c = r.bytes(64);
      for (let row = 0; row < 8; row++) plane.set(c.subarray(row * 8, row * 8 + 8), (my * 8 + row) * (cw / 2) + mx * 8);
    }
  }
  if (r.u(1) !== 1 || r.bitsLeft >= 8) throw new Error('slice data does not end in rbsp trailing bits');
  const rgb = Buffer.alloc(sps.width * sps.height * 3);
  const clamp = (x: number) => Math.max(0, Math.min(255, Math.round(x)));
  for (let py = 0; py < sps.height; py++) {
    for (let px = 0; px < sps.width; px++) {
      const Y = 1.164 * (y[py * cw + px]! - 16);
      const ci = (py >> 1) * (cw / 2) + (px >> 1);
      const U = u[ci]! - 128;
      const V = v[ci]! - 128;
      const o = (py * sps.width + px) * 3;
      rgb[o] = clamp(Y + 1.596 * V);
      rgb[o + 1] = clamp(Y - 0.392 * U - 0.813 * V);
      rgb[o + 2] = clamp(Y + 2.017 * U);
    }
  }
  return rgb;
}

export interface DecodedClip {
  width: number;
  height: number;
  /** Packed RGB, one per frame, in decode (= display) order. */
  frames: Buffer[];
  keyFrames: number[];
}

/** Decodes every frame of an MP4 made of I_PCM H.264. */
export async function decodePcmClip(file: string | Uint8Array): Promise<DecodedClip> {
  const input = new Input({ source: typeof file === 'string' ? new FilePathSource(file) : new BufferSource(file), formats: ALL_FORMATS });
  try {
    const track = await input.getPrimaryVideoTrack();
    if (!track || (await track.getCodec()) !== 'avc') throw new Error('no H.264 video track');
    const avcC = new Uint8Array((await track.getDecoderConfig())!.description as ArrayBuffer);
    const lengthSize = (avcC[4]! & 3) + 1;
    const spsLength = (avcC[6]! << 8) | avcC[7]!;
    const ppsAt = 8 + spsLength + 1; // after the SPS and the PPS count
    const ppsLength = (avcC[ppsAt]! << 8) | avcC[ppsAt + 1]!;
    const sps = parseSps(avcC.subarray(8, 8 + spsLength), parsePps(avcC.subarray(ppsAt + 2, ppsAt + 2 + ppsLength)));
    const frames: Buffer[] = [];
    const keyFrames: number[] = [];
    for await (const packet of new EncodedPacketSink(track).packets()) {
      if (packet.type === 'key') keyFrames.push(frames.length);
      const d = packet.data;
      for (let at = 0; at < d.length;) {
        let len = 0;
        for (let i = 0; i < lengthSize; i++) len = len * 256 + d[at + i]!;
        const nal = d.subarray(at + lengthSize, at + lengthSize + len);
        at += lengthSize + len;
        const type = nal[0]! & 0x1f;
        if (type === 1 || type === 5) frames.push(decodeSlice(nal, sps));
      }
    }
    return { width: sps.width, height: sps.height, frames, keyFrames };
  } finally {
    input.dispose();
  }
}

/** Mean absolute difference per channel between two packed RGB pictures of one size. */
export function rgbDistance(a: Buffer, b: Buffer): number {
  if (a.length !== b.length) throw new Error(`pictures differ in size: ${a.length} vs ${b.length} bytes`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}
