/**
 * Checks how the archive writes vector numbers: each should be the shortest
 * decimal that reads back as the same float32 (what Qdrant sends), not the
 * float64 expansion of that float32 (e.g. 0.1 rather than 0.10000000149011612).
 */
import fs from 'node:fs';
import readline from 'node:readline';

export interface NumberForm {
  sampledPoints: number;
  numbers: number;
  /** Numbers written with more significant digits than the float32 needs. */
  longer: number;
  /** Mean characters per number (sign, point and exponent included). */
  meanChars: number;
  example: string | null;
}

function significantDigits(text: string): number {
  const mantissa = text.replace(/^-/, '').split(/[eE]/)[0]!.replace('.', '');
  const trimmed = mantissa.replace(/^0+/, '').replace(/0+$/, '');
  return Math.max(1, trimmed.length);
}

function shortestFloat32Digits(value: number): number {
  const f = Math.fround(value);
  if (f === 0) return 1;
  for (let p = 1; p <= 9; p++) if (Math.fround(Number(f.toPrecision(p))) === f) return p;
  return 9;
}

/** Looks at the unnamed vectors of the first `maxPoints` point lines of a vector file. */
export async function checkNumberForm(jsonPath: string, maxPoints = 500): Promise<NumberForm> {
  const form: NumberForm = { sampledPoints: 0, numbers: 0, longer: 0, meanChars: 0, example: null };
  let chars = 0;
  const input = fs.createReadStream(jsonPath, { encoding: 'utf8' });
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      const at = line.indexOf('"vector":[');
      if (at < 0) continue;
      const end = line.indexOf(']', at);
      if (end < 0) continue;
      const tokens = line.slice(at + '"vector":['.length, end).split(',');
      for (const token of tokens) {
        const t = token.trim();
        form.numbers++;
        chars += t.length;
        if (significantDigits(t) > shortestFloat32Digits(Number(t))) {
          form.longer++;
          form.example ??= t;
        }
      }
      if (++form.sampledPoints >= maxPoints) break;
    }
  } finally {
    lines.close();
    input.destroy();
  }
  form.meanChars = form.numbers === 0 ? 0 : chars / form.numbers;
  return form;
}
