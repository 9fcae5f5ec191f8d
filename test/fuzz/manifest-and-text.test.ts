// Archive fuzzing of what the archive says: manifests of every wrong type, escape sequences in
// free-text fields, and structural changes with a few bytes flipped (the generators:
// ./families/). The families of a file share one store and source archive; the files run side by
// side. What the fuzz suite checks, and how to size and replay it (BA_FUZZ_CASES and the rest):
// ./harness.ts.
import { comboCases } from './families/combo.js';
import { escapesCases } from './families/escapes.js';
import { manifestCases } from './families/manifest.js';
import { fuzzFamily } from './harness.js';

fuzzFamily('manifest', manifestCases, { takesSource: 'fields no check compares, given other values' });
fuzzFamily('escapes', escapesCases, { takesSource: 'escapes in free-text fields, printed escaped' });
fuzzFamily('combo', comboCases);
