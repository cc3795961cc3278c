import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import { encodeQr, qrPath } from '../lib/qr-code';
import QrCode from './QrCode.vue';

// The SVG around the encoder (which qr-code.spec checks): a labelled image, crisp modules, the
// quiet zone, dark on white, and a message instead of a broken code when the text cannot fit.

describe('QrCode', () => {
  it('draws the symbol as a labelled, crisp SVG with a 4-module quiet zone', () => {
    const value = 'lndconnect://192.168.1.20:10009?macaroon=0201';
    const wrapper = mount(QrCode, { props: { value, label: 'Connect a wallet' } });
    const svg = wrapper.get('svg');
    const code = encodeQr(value);
    expect(svg.attributes('role')).toBe('img');
    expect(svg.attributes('aria-label')).toBe('Connect a wallet');
    expect(svg.attributes('shape-rendering')).toBe('crispEdges');
    expect(svg.attributes('viewBox')).toBe(`0 0 ${code.size + 8} ${code.size + 8}`);
    expect(svg.get('rect').attributes('fill')).toBe('#fff');
    expect(svg.get('path').attributes('fill')).toBe('#000');
    expect(svg.get('path').attributes('d')).toBe(qrPath(code));
    // At least 3 px a module, and never under 200 px.
    expect(Number(svg.attributes('width'))).toBe(Math.max(200, (code.size + 8) * 3));
  });

  it('uses the level it is given', () => {
    const value = 'x'.repeat(100);
    const wrapper = mount(QrCode, { props: { value, label: 'x', level: 'L' } });
    expect(wrapper.get('svg').attributes('data-version')).toBe(
      String(encodeQr(value, { level: 'L' }).version),
    );
    expect(encodeQr(value, { level: 'L' }).version).toBeLessThan(encodeQr(value, { level: 'H' }).version);
  });

  it('says so, rather than draw something wrong, when the text is too long', () => {
    const wrapper = mount(QrCode, { props: { value: 'x'.repeat(3000), label: 'x', level: 'M' } });
    expect(wrapper.find('svg').exists()).toBe(false);
    expect(wrapper.get('[data-test=qr-error]').text()).toContain('do not fit');
  });
});
