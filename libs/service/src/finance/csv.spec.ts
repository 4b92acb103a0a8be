// CSV cells: RFC 4180 quoting, and no formula a spreadsheet would run (OWASP CSV injection),
// while numeric columns stay numbers.
import { csvField, csvLine, csvNumber } from './csv';

describe('a text cell', () => {
  it.each([
    ["=cmd|' /C calc'!A0", `'=cmd|' /C calc'!A0`],
    ['+1+1', `'+1+1`],
    ['-2+3', `'-2+3`],
    ['@SUM(A1)', `'@SUM(A1)`],
    ['\tx', `'\tx`],
    ['\rx', `"'\rx"`],
    ['=HYPERLINK("http://x","y")', `"'=HYPERLINK(""http://x"",""y"")"`],
    ['=1,2', `"'=1,2"`],
  ])('%j starting a formula is prefixed with a single quote (and quoted as RFC 4180 requires)', (value, cell) => {
    expect(csvField(value)).toBe(cell);
  });

  it('a text that only looks like a negative number is still text: "-2" in a text column is prefixed', () => {
    expect(csvField('-2')).toBe(`'-2`);
  });

  it('plain text, commas, quotes and line breaks: RFC 4180 as before', () => {
    expect(csvField('acct_1')).toBe('acct_1');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('a\nb')).toBe('"a\nb"');
    expect(csvField({ via: 'http' })).toBe('"{""via"":""http""}"');
    expect(csvField(null)).toBe('');
  });
});

describe('a number cell', () => {
  it('negative credits and cents stay numbers', () => {
    expect(csvLine([csvNumber('-2'), csvNumber('0.103334'), -150n, 3])).toBe('-2,0.103334,-150,3\r\n');
  });

  it('csvNumber takes only a plain decimal: anything else is escaped as text', () => {
    expect(csvField(csvNumber('-2+cmd'))).toBe(`'-2+cmd`);
    expect(csvField(csvNumber('=1'))).toBe(`'=1`);
  });
});
