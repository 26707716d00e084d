import * as iconv from 'iconv-lite';
import { decodeNotifyBody } from './notify-body';

const gbkEscape = (s: string) =>
  [...iconv.encode(s, 'gbk')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');

describe('decodeNotifyBody', () => {
  const FORM = 'application/x-www-form-urlencoded';

  it('UTF-8 forms pass through unchanged', () => {
    const raw = 'a=1&subject=%E8%8C%B6&charset=utf-8';
    expect(decodeNotifyBody(FORM, Buffer.from(raw), 16384)).toEqual({ raw });
  });

  it('GBK forms (declared in the charset field) are decoded to UTF-8 form text', () => {
    const raw = `charset=GBK&subject=${gbkEscape('龙井茶')}&total_amount=1.00`;
    const out = decodeNotifyBody(`${FORM}; charset=GBK`, Buffer.from(raw, 'latin1'), 16384);
    expect(out.problem).toBeUndefined();
    expect(Object.fromEntries(new URLSearchParams(out.raw))).toEqual({
      charset: 'GBK',
      subject: '龙井茶',
      total_amount: '1.00',
    });
  });

  it('anything but a form, an unknown charset or an oversized body is a problem', () => {
    expect(decodeNotifyBody('application/json', Buffer.from('{}'), 16384).problem).toMatch(/not a form/);
    expect(decodeNotifyBody(undefined, Buffer.from('a=1'), 16384).problem).toMatch(/not a form/);
    expect(decodeNotifyBody(FORM, Buffer.from('charset=klingon&a=1'), 16384).problem).toMatch(
      /unknown charset/,
    );
    expect(decodeNotifyBody(FORM, Buffer.alloc(20000, 0x61), 16384).problem).toMatch(/over 16384/);
  });
});
