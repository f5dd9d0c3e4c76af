import { canonicalJson } from '../../api/decision-schemas';
import { hasNulCharacter, nulPath } from '../../api/json-body';

describe('hasNulCharacter', () => {
  it('finds U+0000 in strings and keys of JSON text, however deep', () => {
    expect(hasNulCharacter(canonicalJson({ carrier: 'a\u0000b' }))).toBe(true);
    expect(hasNulCharacter(canonicalJson({ 'key\u0000': 1 }))).toBe(true);
    expect(hasNulCharacter(canonicalJson([[{ deep: ['\u0000'] }]]))).toBe(true);
    expect(hasNulCharacter(canonicalJson('\\\u0000'))).toBe(true);
  });

  it('does not mistake an escaped backslash before "u0000" for the character', () => {
    expect(hasNulCharacter(canonicalJson({ path: 'C:\\u0000' }))).toBe(false);
    expect(hasNulCharacter(canonicalJson('\\\\u0000'))).toBe(false);
    expect(hasNulCharacter(canonicalJson({ carrier: 'nordfracht', rate: 812.5 }))).toBe(false);
  });
});

describe('nulPath', () => {
  it('names the first place of U+0000 in a parsed body: a value, a key, an array entry', () => {
    expect(nulPath({ comment: 'ok', nested: { note: 'a\u0000b' } })).toBe('nested.note');
    expect(nulPath({ samples: [{ metric: 'x' }, { scope: { site: '\u0000' } }] })).toBe('samples.1.scope.site');
    expect(nulPath({ detail: { 'key\u0000': 1 } })).toBe('detail."key\\u0000"');
    expect(nulPath('\u0000')).toBe('(body)');
    expect(nulPath({ clean: ['text', 1, null, true] })).toBeUndefined();
  });
});


describe('nulPath on deep bodies', () => {
  it('finds U+0000 100,000 levels deep without overflowing the stack', () => {
    let value: unknown = 'a\u0000';
    for (let i = 0; i < 100_000; i += 1) value = [value];
    expect(nulPath(value)?.split('.')).toHaveLength(100_000);
  });
});
