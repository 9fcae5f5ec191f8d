// Archive fuzzing of the vectors: vector files of the wrong shape and valid variants that must
// load into Qdrant, and hostile embedded (local-mode) stores (the generators: ./families/). The
// families of a file share one store and source archive; the files run side by side. What the
// fuzz suite checks, and how to size and replay it (BA_FUZZ_CASES and the rest): ./harness.ts.
import { embeddedCases } from './families/embedded.js';
import { vectorsCases } from './families/vectors.js';
import { fuzzFamily } from './harness.js';

fuzzFamily('vectors', vectorsCases);
fuzzFamily('embedded', embeddedCases);
