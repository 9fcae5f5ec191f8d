// Vector files (qdrant_vectors.json) of the wrong shape: vectors of the wrong size or with
// values that are not float32, ids that are not ids or out of order, deep or huge payloads,
// bad UTF-8, header and collection settings of every wrong type, broken file structure. The
// manifest follows each change, so only the file itself is judged; the variants that stay
// valid must load into Qdrant.

import type { Rng } from '../../fixtures/prng.js';
import {
  MISSING,
  setAt,
  pathsOf,
  vectorsText,
  archiveOf,
  withPoint,
  withPointText,
  nestedText,
  type FuzzCase,
  type Source,
  type CaseGenerator,
} from '../cases.js';

export function vectorsCases(src: Source): CaseGenerator {
  const headerObject = (): Record<string, unknown> =>
    JSON.parse(`${src.headerLine.slice(0, -1)}}`) as Record<string, unknown>;
  const headerLineOf = (header: Record<string, unknown>): string => `${JSON.stringify(header).slice(0, -1)},`;
  /** A vector file variant; the manifest's count follows the points given, so only the file itself is judged. */
  const vectorCase = (
    label: string,
    text: string | Buffer,
    expect: FuzzCase['expect'],
    message?: RegExp,
    points = src.points.length,
  ): FuzzCase => ({
    family: 'vectors',
    label,
    expect,
    data: 'changed',
    message,
    make: () =>
      archiveOf(src, {
        vectors: text,
        manifest: (m) => ((m.stats as { qdrant: { total_vectors: number } }).qdrant.total_vectors = points),
      }),
  });
  const randomPoint = (rng: Rng, from = 0): number => rng.int(from, src.points.length - 1);

  const vectorKinds: Array<(rng: Rng) => FuzzCase> = [
    (rng) => {
      const i = randomPoint(rng);
      const delta = rng.pick([-8, -1, 1, 5]);
      const points = withPoint(src, i, (p) => {
        const v = p.vector as number[];
        if (delta < 0) v.splice(delta);
        else for (let k = 0; k < delta; k++) v.push(0.25);
      });
      return vectorCase(
        `point ${i} vector of ${8 + delta} numbers`,
        vectorsText(src.headerLine, points),
        'reject',
        /numbers, the collection expects 8|must be a list/,
      );
    },
    (rng) => {
      const i = randomPoint(rng);
      const raw = rng.pick(['"0.1"', 'null', 'true', '[]', '{}', '1e39', '-1e39', '1e999', '-1e999', '"NaN"']);
      const points = withPointText(src, i, (p) => ((p.vector as unknown[])[rng.int(0, 7)] = '@RAW@'), raw);
      return vectorCase(
        `point ${i} vector element ${raw}`,
        vectorsText(src.headerLine, points),
        'reject',
        /finite float32|not valid JSON/,
      );
    },
    (rng) => {
      const i = randomPoint(rng);
      const raw = rng.pick(['NaN', 'Infinity', '-Infinity', '+0.5', '00.5', '.5', '0x10', '1.', '- 1']);
      const points = withPointText(src, i, (p) => ((p.vector as unknown[])[rng.int(0, 7)] = '@RAW@'), raw);
      return vectorCase(
        `point ${i} vector element text ${raw}`,
        vectorsText(src.headerLine, points),
        'reject',
        /JSON|invalid value|unexpected/i,
      );
    },
    (rng) => {
      const i = randomPoint(rng);
      const raw = rng.pick([
        'null',
        '"x"',
        '5',
        '{}',
        '{"other":[0,0,0,0,0,0,0,0]}',
        '[[0,0,0,0,0,0,0,0]]',
        '@MISSING@',
      ]);
      const points =
        raw === '@MISSING@'
          ? withPoint(src, i, (p) => delete p.vector)
          : withPointText(src, i, (p) => (p.vector = '@RAW@'), raw);
      // {} is a point without vectors, which Qdrant stores: taken, and then it must load
      return vectorCase(
        `point ${i} vector ${raw}`,
        vectorsText(src.headerLine, points),
        raw === '{}' ? 'either' : 'reject',
        /vector/,
      );
    },
    (rng) => {
      const i = randomPoint(rng);
      const raw = rng.pick([
        '-1',
        '1.5',
        '1.0',
        '1e3',
        '-0',
        '18446744073709551616',
        '99999999999999999999999',
        '"not-a-uuid"',
        '""',
        'null',
        'true',
        '[]',
        '{}',
        '"0681d3a431e5-40b2-b802-99dd4e8ee6ad"',
        `"${'f'.repeat(100_000)}"`,
        '@MISSING@',
      ]);
      const points =
        raw === '@MISSING@'
          ? withPoint(src, i, (p) => delete p.id)
          : withPointText(src, i, (p) => (p.id = '@RAW@'), raw);
      return vectorCase(`point ${i} id ${raw.slice(0, 40)}`, vectorsText(src.headerLine, points), 'reject', /id|UUID/);
    },
    (rng) => {
      // integer ids sort before UUIDs: valid on the first point, out of order on any other
      const i = rng.chance(0.5) ? 0 : randomPoint(rng, 1);
      const raw = rng.pick(['0', '18446744073709551615', '9007199254740993']);
      const points = withPointText(src, i, (p) => (p.id = '@RAW@'), raw);
      return vectorCase(
        `point ${i} integer id ${raw}`,
        vectorsText(src.headerLine, points),
        i === 0 ? 'accept' : 'reject',
        /rise strictly/,
      );
    },
    (rng) => {
      const i = randomPoint(rng);
      const form = rng.pick(['upper', 'braced', 'urn', 'simple']);
      const points = withPoint(src, i, (p) => {
        const id = p.id as string;
        p.id =
          form === 'upper'
            ? id.toUpperCase()
            : form === 'braced'
              ? `{${id}}`
              : form === 'urn'
                ? `urn:uuid:${id}`
                : id.replace(/-/g, '');
      });
      return vectorCase(`point ${i} UUID written ${form}`, vectorsText(src.headerLine, points), 'accept');
    },
    (rng) => {
      const i = randomPoint(rng);
      const points = src.points.slice();
      points.splice(i + 1, 0, points[i]!);
      return vectorCase(
        `point ${i} repeated`,
        vectorsText(src.headerLine, points),
        'reject',
        /rise strictly/,
        points.length,
      );
    },
    (rng) => {
      const i = randomPoint(rng);
      let j = randomPoint(rng);
      if (j === i) j = (i + 1) % src.points.length;
      const points = src.points.slice();
      [points[i], points[j]] = [points[j]!, points[i]!];
      return vectorCase(`points ${i} and ${j} swapped`, vectorsText(src.headerLine, points), 'reject', /rise strictly/);
    },
    (rng) => {
      // the point object is level 1 and its payload level 2: the limit of 125 allows 123 more
      const depth = rng.pick([1, 50, 122, 123, 124, 200, 5000, 100_000]);
      const kind = rng.pick(['array', 'object'] as const);
      const i = randomPoint(rng);
      const points = withPointText(
        src,
        i,
        (p) => ((p.payload as Record<string, unknown>).deep = '@RAW@'),
        nestedText(depth, kind),
      );
      return vectorCase(
        `point ${i} payload nested ${depth} ${kind}s deep`,
        vectorsText(src.headerLine, points),
        depth <= 123 ? 'accept' : 'reject',
        /nested \d+ levels deep/,
      );
    },
    (rng) => {
      const i = randomPoint(rng);
      const size = rng.pick([100_000, 2_000_000]);
      const points = withPoint(src, i, (p) => ((p.payload as Record<string, unknown>).content = 'é'.repeat(size / 2)));
      return vectorCase(`point ${i} payload string of ${size} bytes`, vectorsText(src.headerLine, points), 'accept');
    },
    (rng) => {
      const i = randomPoint(rng, 1);
      const other = (JSON.parse(src.points[0]!) as { id: string }).id;
      const points = src.points.slice();
      points[i] = points[i]!.replace(/^\{/, `{"id":"${other}",`);
      return vectorCase(
        `point ${i} with a second "id" key`,
        vectorsText(src.headerLine, points),
        'reject',
        /appears twice/,
      );
    },
    (rng) => {
      const i = randomPoint(rng);
      const raw = rng.pick(['[]', '"x"', '5', 'true']);
      const points = withPointText(src, i, (p) => (p.payload = '@RAW@'), raw);
      return vectorCase(
        `point ${i} payload ${raw}`,
        vectorsText(src.headerLine, points),
        'reject',
        /payload must be a JSON object/,
      );
    },
    (rng) => {
      const i = randomPoint(rng);
      const points = src.points.slice();
      const escaped = rng.chance(0.5);
      points[i] = points[i]!.replace('"content":"', escaped ? '"content":"\\u001b[2J\\u009b' : '"content":"\u001b[2J');
      return vectorCase(
        `point ${i} payload with ${escaped ? 'escaped' : 'raw'} ESC`,
        vectorsText(src.headerLine, points),
        escaped ? 'accept' : 'reject',
        /control character|JSON/,
      );
    },
    (rng) => {
      const i = randomPoint(rng);
      const text = Buffer.from(vectorsText(src.headerLine, src.points));
      const at = text.indexOf(Buffer.from(src.points[i]!.slice(0, 60))) + 10;
      const bad = Buffer.from(text);
      bad[at] = rng.pick([0xff, 0xc3, 0x80, 0xed]);
      return vectorCase(`invalid UTF-8 byte in point ${i}`, bad, 'reject', /UTF-8/);
    },
    (rng) => {
      const header = headerObject();
      const change = rng.pick([
        'vector_size 7',
        'vector_size "8"',
        'distance Euclid',
        'distance ESC',
        'size 7',
        'distance Bogus',
        'distance ESC in config',
        'collection null',
        'collection_name 5',
        'format_version "x"',
      ]);
      const config = (header.collection as { config: { params: { vectors: Record<string, unknown> } } }).config;
      if (change === 'vector_size 7') header.vector_size = 7;
      if (change === 'vector_size "8"') header.vector_size = '8';
      if (change === 'distance Euclid') header.distance = 'Distance.EUCLID';
      if (change === 'distance ESC') header.distance = '\u001b[2J';
      if (change === 'size 7') config.params.vectors.size = 7;
      if (change === 'distance Bogus') config.params.vectors.distance = 'Bogus';
      if (change === 'distance ESC in config') config.params.vectors.distance = '\u001b]0;x\u0007';
      if (change === 'collection null') header.collection = null;
      if (change === 'collection_name 5') header.collection_name = 5;
      if (change === 'format_version "x"') header.format_version = 'x';
      return vectorCase(
        `header ${change}`,
        vectorsText(headerLineOf(header), src.points),
        'reject',
        /qdrant_vectors\.json/,
      );
    },
    (rng) => {
      // without "collection" the file is read as the original tool's: size and distance only
      const header = headerObject();
      delete header.collection;
      const deep = rng.chance(0.5) ? rng.pick([3, 1000]) : 0;
      if (deep > 0) header.zzz_unknown = '@RAW@';
      const line = headerLineOf(header).replace('"@RAW@"', nestedText(deep, 'array'));
      return vectorCase(
        `header without collection settings${deep ? `, an unknown key nested ${deep} deep` : ''}`,
        vectorsText(line, src.points),
        'accept',
      );
    },
    (rng) => {
      // every setting of the collection config with a wrong type: refused or taken by Qdrant
      const header = headerObject();
      const collection = header.collection as Record<string, unknown>;
      const paths = pathsOf(collection.config).map((p) => ['config', ...p]);
      const where = rng.pick(paths);
      const [label, value] = rng.pick<[string, unknown]>([
        ['null', null],
        ['"text"', 'text'],
        ['-1', -1],
        ['1.5', 1.5],
        ['0', 0],
        ['true', true],
        ['[]', []],
        ['{}', {}],
        ['huge', 2 ** 53],
        ['missing', MISSING],
      ]);
      setAt(collection, where, value);
      return vectorCase(
        `collection.${where.join('.')} = ${label}`,
        vectorsText(headerLineOf(header), src.points),
        'either',
        /qdrant_vectors\.json/,
      );
    },
    (rng) => {
      const header = headerObject();
      const collection = header.collection as Record<string, unknown>;
      const change = rng.pick([
        'alias ok',
        'alias slash',
        'alias number',
        'aliases string',
        'index ok',
        'index bogus',
        'index number',
        'index params ok',
      ]);
      if (change === 'alias ok') collection.aliases = ['fuzz_alias'];
      if (change === 'alias slash') collection.aliases = ['a/b'];
      if (change === 'alias number') collection.aliases = [5];
      if (change === 'aliases string') collection.aliases = 'fuzz_alias';
      if (change === 'index ok') collection.payload_schema = { category: { data_type: 'keyword', points: 0 } };
      if (change === 'index bogus') collection.payload_schema = { category: { data_type: 'bogus' } };
      if (change === 'index number') collection.payload_schema = { category: 5 };
      if (change === 'index params ok')
        collection.payload_schema = { content: { data_type: 'text', params: { type: 'text', tokenizer: 'word' } } };
      const ok = change.endsWith(' ok');
      return vectorCase(
        `collection ${change}`,
        vectorsText(headerLineOf(header), src.points),
        ok ? 'accept' : 'reject',
        /qdrant_vectors\.json/,
      );
    },
    (rng) => {
      const text = vectorsText(src.headerLine, src.points);
      const change = rng.pick([
        'points object',
        'points null',
        'no points',
        'points first',
        'trailing garbage',
        'empty',
        'BOM',
        'top-level array',
        'cut',
        'extra bracket',
        'points twice',
        'UTF-16',
      ]);
      let out: string | Buffer = text;
      if (change === 'points object')
        out = text.replace('"points":[', '"points":{"a":[').replace(/\n\]\}\n$/, '\n]}}\n');
      if (change === 'points null') out = `${src.headerLine}\n"points":null}\n`;
      if (change === 'no points') out = `${src.headerLine.slice(0, -1)}}\n`;
      if (change === 'points first')
        out = `{"points":[\n${src.points.join(',\n')}\n],${src.headerLine.slice(1, -1)}}\n`;
      if (change === 'trailing garbage') out = `${text} x`;
      if (change === 'empty') out = '';
      if (change === 'BOM') out = `\ufeff${text}`;
      if (change === 'top-level array') out = `[${text}]`;
      if (change === 'cut') out = text.slice(0, rng.int(1, text.length - 2));
      if (change === 'extra bracket') out = text.replace(/\n\]\}\n$/, '\n]]}\n');
      if (change === 'points twice') out = text.replace(/\n\]\}\n$/, `\n],"points":[\n${src.points[0]}\n]}\n`);
      if (change === 'UTF-16') out = Buffer.from(text, 'utf16le');
      return vectorCase(
        `vector file: ${change}`,
        out,
        'reject',
        /qdrant_vectors\.json/,
        change === 'points twice' ? src.points.length + 1 : src.points.length,
      );
    },
  ];

  return (rng) => rng.pick(vectorKinds)(rng);
}
