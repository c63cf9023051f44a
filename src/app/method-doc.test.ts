import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VIEW_HELP, methodSection } from './method-doc';

const doc = readFileSync(join(import.meta.dirname, '../../docs/method.md'), 'utf8');

describe('the views’ method notes', () => {
  it('name sections docs/method.md has, each with text', () => {
    for (const [view, { section, text }] of Object.entries(VIEW_HELP)) {
      const paragraphs = methodSection(doc, section);
      expect(paragraphs, `${view}: "${section}"`).toBeDefined();
      expect(paragraphs!.join(' ').length).toBeGreaterThan(200);
      // One or two sentences.
      expect(
        text.split(/[.!?](\s|$)/).filter((s) => s.trim().length > 1).length,
      ).toBeLessThanOrEqual(2);
    }
  });

  it('cut a section at the next heading and join the lines of a paragraph', () => {
    const md = '# T\n\n## A\n\nline one\nline two\n\n- item 1\n- item 2\n\n## B\n\nother\n';
    expect(methodSection(md, 'A')).toEqual(['line one line two', '- item 1\n- item 2']);
    expect(methodSection(md, 'B')).toEqual(['other']);
    expect(methodSection(md, 'C')).toBeUndefined();
  });
});
