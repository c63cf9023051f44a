import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { Figure } from './figure';

describe('Figure', () => {
  it('has a size in whole pixels, so an export at twice the size is exactly twice it', () => {
    const svg = renderToStaticMarkup(
      <Figure width={560.4} height={488.352} label="a figure">
        <g />
      </Figure>,
    );
    expect(svg).toContain('width="561" height="489" viewBox="0 0 561 489"');
  });
});
