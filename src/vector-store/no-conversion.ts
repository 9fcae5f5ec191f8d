export const NO_CONVERSION =
  'Converting between a Qdrant server and the embedded store is not supported: embedded points are Python pickles that only the memory server itself can read.';
