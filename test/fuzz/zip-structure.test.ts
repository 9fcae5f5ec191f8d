// Archive fuzzing of the zip itself: bytes changed anywhere, truncation and bytes added, entries
// duplicated, reordered, missing or extra, hostile names and links (the generators:
// ./families/). The families of a file share one store and source archive; the files run side by
// side. What the fuzz suite checks, and how to size and replay it (BA_FUZZ_CASES and the rest):
// ./harness.ts.
import { bytesCases } from './families/bytes.js';
import { entriesCases } from './families/entries.js';
import { linksCases } from './families/links.js';
import { namesCases } from './families/names.js';
import { truncateCases } from './families/truncate.js';
import { fuzzFamily } from './harness.js';

fuzzFamily('bytes', bytesCases, { takesSource: 'bytes no check reads, changed' });
fuzzFamily('truncate', truncateCases, { takesSource: 'bytes added after or before the archive' });
fuzzFamily('entries', entriesCases, { takesSource: 'entries in another order, extra entries' });
fuzzFamily('names', namesCases);
fuzzFamily('links', linksCases);
