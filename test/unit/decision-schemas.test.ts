import { canonicalJson, hasNulCharacter } from '../../api/decision-schemas';

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
