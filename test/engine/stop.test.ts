import { describe, expect, it } from 'vitest';
import { StopStringMatcher } from '../../src/engine/stop.js';

describe('StopStringMatcher', () => {
  it('holds back a possible stop prefix and cuts at the stop string', () => {
    const m = new StopStringMatcher(['\n\n', 'END']);
    expect(m.push('Hello E')).toBe('Hello ');
    expect(m.push('N')).toBe('');
    expect(m.push('D and more')).toBe('');
    expect(m.isStopped).toBe(true);
    expect(m.flush()).toBe('');
  });

  it('releases held text when it stops being a prefix', () => {
    const m = new StopStringMatcher(['END']);
    expect(m.push('EN')).toBe('');
    expect(m.push('ough')).toBe('ENough');
    expect(m.push(' E')).toBe(' ');
    expect(m.flush()).toBe('E');
  });

  it('picks the earliest of several matches', () => {
    const m = new StopStringMatcher(['c', 'ab']);
    expect(m.push('xxabc')).toBe('xx');
  });

  it('passes text through when there are no stop strings', () => {
    const m = new StopStringMatcher([]);
    expect(m.push('abc')).toBe('abc');
    expect(m.flush()).toBe('');
  });
});
