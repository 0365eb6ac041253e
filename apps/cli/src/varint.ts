/** A cursor over lib0-encoded bytes (varUint, varString): just enough to read awareness updates. */
export class ByteReader {
  private pos = 0;

  constructor(private readonly bytes: Uint8Array) {}

  /** True while unread bytes remain. */
  get hasContent(): boolean {
    return this.pos < this.bytes.byteLength;
  }

  /** Reads a lib0 varUint (7 bits per byte, least significant group first). */
  readVarUint(): number {
    let value = 0;
    let multiplier = 1;
    // A safe integer needs at most 8 groups; more is malformed input, not a longer number.
    for (let i = 0; i < 8; i++) {
      if (this.pos >= this.bytes.byteLength) throw new RangeError('unexpected end of data');
      const byte = this.bytes[this.pos++] as number;
      value += (byte & 0x7f) * multiplier;
      if (byte < 0x80) return value;
      multiplier *= 128;
    }
    throw new RangeError('varUint too long');
  }

  /** Reads a lib0 varString (varUint length + UTF-8 bytes). */
  readVarString(): string {
    const length = this.readVarUint();
    if (this.pos + length > this.bytes.byteLength) throw new RangeError('string runs past the end of data');
    const text = new TextDecoder('utf-8', { fatal: true }).decode(this.bytes.subarray(this.pos, this.pos + length));
    this.pos += length;
    return text;
  }
}
