import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ContainerSkim,
  controlByteIn,
  isSpace,
  Landmarks,
  MemberWalk,
  scalarEnd,
  skipSpace,
  stringEnd,
  StringScan,
} from '../src/json/scanner.js';
import { Rng } from './fixtures/prng.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

/** A random JSON string value (as JSON text): runs of backslashes and quotes are what make string ends hard. */
function randomString(rng: Rng): string {
  const pieces = ['\\', '"', '\\\\', '\\"', 'a', ' ', 'é', '[', '}', '\n', '𝄞'];
  return JSON.stringify(Array.from({ length: rng.int(0, 10) }, () => pieces[rng.int(0, pieces.length - 1)]).join(''));
}

/** Feeds `text` cut at `cut` to a fresh ContainerSkim (started past the first byte); where it ends, counted in the whole text. */
function skimAcross(text: Buffer, cut: number): { end: number; deepest: number } {
  const skim = new ContainerSkim();
  skim.begin();
  const first = text.subarray(0, cut);
  const end = skim.skim(new Landmarks(first), 1);
  if (end >= 0) return { end, deepest: skim.deepest };
  const rest = skim.skim(new Landmarks(text.subarray(cut)), 0);
  return { end: rest < 0 ? -1 : cut + rest, deepest: skim.deepest };
}

describe('JSON scanner', () => {
  it('finds where a string ends past escaped quotes and runs of backslashes', () => {
    // from is just past the opening quote; the result just past the closing one
    assert.equal(stringEnd(bytes('"abc",1'), 1), 5);
    assert.equal(stringEnd(bytes('"a\\"b",1'), 1), 6, 'an escaped quote does not end it');
    assert.equal(stringEnd(bytes('"a\\\\",1'), 1), 5, 'an escaped backslash does not escape the quote');
    assert.equal(stringEnd(bytes('"a\\\\\\"b"'), 1), 8, 'three backslashes: the quote is escaped');
    assert.equal(stringEnd(bytes('"\\\\\\\\"x'), 1), 6, 'four backslashes: the quote ends it');
    assert.equal(stringEnd(bytes('""'), 1), 2);
    assert.equal(stringEnd(bytes('"abc'), 1), -1, 'no closing quote');
    assert.equal(stringEnd(bytes('"abc\\"'), 1), -1, 'only an escaped quote');
    assert.equal(stringEnd(bytes('x:"ab"'), 3), 6, 'a string inside a larger text');
  });

  it('ends every generated string where JSON does', () => {
    const rng = new Rng(3);
    for (let round = 0; round < 2000; round++) {
      const value = randomString(rng);
      const text = bytes(`${value},"next"`);
      assert.equal(stringEnd(text, 1), Buffer.byteLength(value), value);
    }
  });

  it('carries a string across chunk boundaries, an escape cut from what it escapes included', () => {
    const rng = new Rng(5);
    for (let round = 0; round < 300; round++) {
      const value = bytes(randomString(rng));
      const text = Buffer.concat([value, bytes(']')]);
      for (let cut = 1; cut <= value.length; cut++) {
        const scan = new StringScan();
        scan.begin();
        const end = scan.end(text.subarray(0, cut), 1);
        const found = end >= 0 ? end : cut + scan.end(text.subarray(cut), 0);
        assert.equal(found, value.length, `${value.toString()} cut at ${cut}`);
      }
    }
  });

  it('treats exactly space, tab, line feed and carriage return as whitespace', () => {
    const space = Array.from({ length: 256 }, (_, c) => c).filter((c) => isSpace(c));
    assert.deepEqual(space, [0x09, 0x0a, 0x0d, 0x20]);
    assert.equal(isSpace(undefined), false);
    assert.equal(skipSpace(bytes(' \t\r\n x'), 0), 5);
    assert.equal(skipSpace(bytes('\f1'), 0), 0, 'a form feed is not JSON whitespace');
    assert.equal(skipSpace(bytes('   '), 1), 3, 'the length when only whitespace is left');
  });

  it('ends a scalar at whitespace, a comma, a colon or a closing bracket', () => {
    assert.equal(scalarEnd(bytes('-12.5e+3,'), 0), 8);
    assert.equal(scalarEnd(bytes('true}'), 0), 4);
    assert.equal(scalarEnd(bytes('null]'), 0), 4);
    assert.equal(scalarEnd(bytes('1 '), 0), 1);
    assert.equal(scalarEnd(bytes('1:'), 0), 1);
    assert.equal(scalarEnd(bytes('123'), 0), 3, 'the length at the end of the bytes');
    assert.equal(scalarEnd(bytes('1{'), 0), 2, 'a brace does not end it: the token is then invalid');
  });

  it('finds control characters in a range', () => {
    assert.equal(controlByteIn(bytes('ab\u0001c'), 0, 4), 2);
    assert.equal(controlByteIn(bytes('ab\u0001c'), 0, 2), -1, 'only inside [from, to)');
    assert.equal(controlByteIn(bytes('é\u007f '), 0, 4), -1, 'DEL, spaces and UTF-8 bytes are allowed');
  });

  it('finds the next quote or bracket and tells flat arrays', () => {
    const text = bytes('[1, 2.5,-3] {"a":[[0]]}');
    const marks = new Landmarks(text);
    assert.equal(marks.flatArrayEnd(0), 11);
    assert.equal(marks.next(11), 12);
    assert.equal(marks.next(13), 13);
    assert.equal(marks.flatArrayEnd(17), -1, 'an array inside');
    assert.equal(marks.next(23), 23, 'the length past the last');
    assert.equal(new Landmarks(bytes('[1,"a"]')).flatArrayEnd(0), -1, 'a string inside');
    assert.equal(new Landmarks(bytes('[1,{}]')).flatArrayEnd(0), -1, 'an object inside');
    assert.equal(new Landmarks(bytes('[ ]')).flatArrayEnd(0), 3);
    assert.equal(new Landmarks(bytes('[1,2')).flatArrayEnd(0), -1, 'no closing bracket');
  });

  it('finds where a container ends and how deep it nests, whatever the chunking', () => {
    const cases: Array<[string, number]> = [
      ['{}', 1],
      ['[]', 1],
      ['[ 1 , 2 ]', 1],
      ['{"a":[1,{"b":[[]]}],"c":"x"}', 5],
      ['{"s":"] } [ {","t":"\\"]"}', 1],
      ['["\\\\",["\\\\\\""]]', 2],
      [`{"vector":[${Array.from({ length: 300 }, (_, k) => (k % 7) - 3.25).join(',')}],"n":null}`, 2],
      [`[${Array.from({ length: 200 }, (_, k) => `-${k}.5e-3`).join(' , ')}]`, 1],
      ['{\n  "a" : [ "x" ,\t{ } ]\r\n}', 3],
    ];
    for (const [json, deepest] of cases) {
      const text = bytes(`${json} ,[]`);
      for (let cut = 2; cut <= text.length; cut++) {
        assert.deepEqual(skimAcross(text, cut), { end: json.length, deepest }, `${json} cut at ${cut}`);
      }
    }
    assert.equal(skimAcross(bytes('{"a":[1,2]'), 10).end, -1, 'an unclosed container');
  });

  it('skims generated documents to the end JSON gives them', () => {
    const rng = new Rng(9);
    const value = (depth: number): unknown => {
      const kind = rng.int(0, depth > 3 ? 2 : 4);
      if (kind === 0) return JSON.parse(randomString(rng));
      if (kind === 1) return Array.from({ length: rng.int(0, 80) }, () => rng.int(-999, 999) / 7);
      if (kind === 2) return rng.int(0, 1) === 0 ? null : true;
      if (kind === 3) return Array.from({ length: rng.int(0, 4) }, () => value(depth + 1));
      return Object.fromEntries(
        Array.from({ length: rng.int(0, 4) }, () => [JSON.parse(randomString(rng)), value(depth + 1)]),
      );
    };
    for (let round = 0; round < 300; round++) {
      const json = JSON.stringify([value(0)], null, rng.int(0, 1) === 0 ? undefined : 1);
      const text = bytes(`${json},{}`);
      const cut = rng.int(2, text.length);
      assert.equal(skimAcross(text, cut).end, Buffer.byteLength(json), `${json} cut at ${cut}`);
    }
  });

  it("walks an object's members, their keys, values and depths", () => {
    const text = bytes(' { "id" : 18446744073709551615 ,"k\\u0065y":"v\\"}","o":{"a":[{}]},"vector":[1, -2.5e3] } ');
    const walk = new MemberWalk(text);
    const seen: Array<[string, string, number, boolean]> = [];
    while (walk.next()) {
      const value = text.toString('utf8', walk.valueStart, walk.valueEnd);
      seen.push([walk.key(), value, walk.valueDepth, walk.valueIsFlatArray]);
    }
    assert.deepEqual(seen, [
      ['id', '18446744073709551615', 0, false],
      ['key', '"v\\"}"', 0, false],
      ['o', '{"a":[{}]}', 3, false],
      ['vector', '[1, -2.5e3]', 1, true],
    ]);
  });

  it('compares a key on its raw bytes', () => {
    const walk = new MemberWalk(bytes('{"vector":1,"vectors":2,"vect\\u006fr":3}'));
    const quoted = bytes('"vector"');
    const matches: boolean[] = [];
    while (walk.next()) matches.push(walk.keyIs(quoted));
    assert.deepEqual(matches, [true, false, false]);
  });

  it('stops where the text is not an object of members', () => {
    const members = (json: string): string[] => {
      const walk = new MemberWalk(bytes(json));
      const keys: string[] = [];
      while (walk.next()) keys.push(walk.key());
      return keys;
    };
    assert.deepEqual(members('{}'), []);
    assert.deepEqual(members('[1,2]'), []);
    assert.deepEqual(members('{"a":1 "b":2}'), [], 'a missing comma: not even "a" is a member');
    assert.deepEqual(members('{"a":1,"v":[1,2]e5}'), ['a'], 'a flat array followed by a number suffix');
    assert.deepEqual(members('{"a":1,"b":}'), ['a'], 'a missing value');
    assert.deepEqual(members('{"a":1,}'), [], 'a comma before the closing brace');
    assert.deepEqual(members('{"a":{"b":1}'), [], 'an object that never closes');
    assert.deepEqual(members('{"a":"x'), [], 'a string that never ends');
  });
});
