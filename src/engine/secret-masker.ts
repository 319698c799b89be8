/**
 * @module engine/secret-masker
 * Replaces secret values with `***` in every line and output that leaves a
 * step. A multi-line secret is masked line by line too, since output is
 * captured line by line.
 */

export class SecretMasker {
  private readonly values: string[];

  constructor(secrets: Iterable<string>) {
    const all = new Set<string>();
    for (const s of secrets) {
      if (s.length === 0) continue;
      all.add(s);
      for (const part of s.split(/\r?\n/)) if (part.trim().length >= 3) all.add(part);
    }
    // Longest first, so a secret that contains another is masked whole.
    this.values = [...all].sort((a, b) => b.length - a.length);
  }

  get empty(): boolean {
    return this.values.length === 0;
  }

  mask(text: string): string {
    let out = text;
    for (const v of this.values) if (out.includes(v)) out = out.split(v).join('***');
    return out;
  }

  maskRecord(record: Record<string, string>): Record<string, string> {
    if (this.empty) return record;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(record)) out[k] = this.mask(v);
    return out;
  }
}
