import { checkWebhookUrl, isPublicAddress, urlSyntaxRefusal } from './webhook-url';

describe('webhook endpoint URL checks', () => {
  const prod = (url: string, resolve?: (h: string) => Promise<string[]>) =>
    checkWebhookUrl(url, { production: true, resolve });

  it('syntax: absolute http(s), no credentials, bounded length', () => {
    expect(urlSyntaxRefusal('https://erp.example.com/hook')).toBeNull();
    expect(urlSyntaxRefusal('/hook')).toMatch(/absolute/);
    expect(urlSyntaxRefusal('ftp://example.com/x')).toMatch(/http or https/);
    expect(urlSyntaxRefusal('https://u:p@example.com/x')).toMatch(/credentials/);
    expect(urlSyntaxRefusal(`https://example.com/${'a'.repeat(2048)}`)).toMatch(/2048/);
  });

  it('outside production any http(s) URL is allowed, http://127.0.0.1 included', async () => {
    await expect(checkWebhookUrl('http://127.0.0.1:9/hook', { production: false })).resolves.toEqual({
      refusal: null,
      addresses: [],
    });
  });

  it('production refuses http, and http://10.0.0.1/…', async () => {
    expect((await prod('http://erp.example.com/hook')).refusal).toMatch(/https/);
    expect((await prod('http://10.0.0.1/hook')).refusal).toMatch(/https/);
    expect((await prod('https://10.0.0.1/hook')).refusal).toMatch(/non-public address \(10\.0\.0\.1\)/);
  });

  it('production refuses a name that resolves to 127.0.0.1 (real DNS: localhost)', async () => {
    expect((await prod('https://localhost/hook')).refusal).toMatch(/non-public address/);
  });

  it('production refuses a name with any private answer, accepts public ones and pins them', async () => {
    const mixed = async () => ['93.184.215.14', '192.168.1.20'];
    expect((await prod('https://erp.example.com/hook', mixed)).refusal).toMatch(/192\.168\.1\.20/);
    const ok = await prod('https://erp.example.com/hook', async () => ['93.184.215.14']);
    expect(ok).toEqual({ refusal: null, addresses: ['93.184.215.14'] });
    const missing = await prod('https://nowhere.invalid/hook', async () => {
      throw new Error('ENOTFOUND');
    });
    expect(missing.refusal).toMatch(/does not resolve/);
  });

  it('address ranges: only public unicast passes', () => {
    for (const a of ['93.184.215.14', '8.8.8.8', '2606:4700::1111']) expect(isPublicAddress(a)).toBe(true);
    for (const a of [
      '127.0.0.1',
      '10.0.0.1',
      '172.16.5.4',
      '192.168.0.1',
      '169.254.169.254', // cloud metadata (link-local)
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      'fe80::1',
      'fc00::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      'not-an-ip',
    ]) {
      expect({ a, ok: isPublicAddress(a) }).toEqual({ a, ok: false });
    }
  });
});
