/**
 * An MSB-first bit writer for H.264 RBSPs: fixed-width fields, Exp-Golomb
 * codes (ue/se), trailing bits, and a fast path for byte-aligned runs such as
 * PCM samples. It grows as needed; `bytes()` returns what was written.
 */
export class BitWriter {
  private buf: Uint8Array;
  private pos = 0; // bytes fully written
  private acc = 0; // pending bits, MSB first
  private nacc = 0; // how many bits are pending (0..7)

  constructor(capacity = 64) {
    this.buf = new Uint8Array(capacity);
  }

  get byteAligned(): boolean {
    return this.nacc === 0;
  }

  /** Writes the low `n` bits of `value` (n ≤ 24). */
  u(n: number, value: number): this {
    for (let i = n - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | ((value >>> i) & 1);
      if (++this.nacc === 8) this.flushByte();
    }
    return this;
  }

  flag(on: boolean): this {
    return this.u(1, on ? 1 : 0);
  }

  /** Unsigned Exp-Golomb, ue(v). */
  ue(value: number): this {
    const code = value + 1;
    const len = 31 - Math.clz32(code);
    return this.u(len, 0).u(len + 1, code);
  }

  /** Signed Exp-Golomb, se(v). */
  se(value: number): this {
    return this.ue(value > 0 ? 2 * value - 1 : -2 * value);
  }

  /** Zero bits up to the next byte boundary. */
  alignZero(): this {
    while (this.nacc !== 0) this.u(1, 0);
    return this;
  }

  /** rbsp_trailing_bits(): a one, then zeros to the byte boundary. */
  trailing(): this {
    return this.u(1, 1).alignZero();
  }

  /** Appends whole bytes; the writer must be byte-aligned. */
  raw(bytes: Uint8Array): this {
    if (this.nacc !== 0) throw new Error('BitWriter.raw needs byte alignment');
    this.reserve(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  bytes(): Uint8Array {
    if (this.nacc !== 0) throw new Error('BitWriter.bytes needs byte alignment');
    return this.buf.subarray(0, this.pos);
  }

  private flushByte(): void {
    this.reserve(1);
    this.buf[this.pos++] = this.acc & 0xff;
    this.acc = 0;
    this.nacc = 0;
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }
}
