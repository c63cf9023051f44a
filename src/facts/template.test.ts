import { describe, expect, it } from 'vitest';
import { TemplateError, clozeProblem, fillTemplate, splitCloze, templateProblem } from './template';

describe('fillTemplate', () => {
  it('puts the subject at [X] and [MASK] at [Y]', () => {
    expect(fillTemplate('The capital of [X] is [Y] .', 'France')).toBe(
      'The capital of France is [MASK] .',
    );
    expect(fillTemplate('[X]的首都是[Y]。', '法国')).toBe('法国的首都是[MASK]。');
  });

  it('takes the subject literally, "$&" included', () => {
    expect(fillTemplate('[X] costs [Y] .', 'A $& B $1')).toBe('A $& B $1 costs [MASK] .');
  });

  it.each([
    ['The capital of [X] is Paris .', /no \[Y\]: put \[Y\] where the object goes/],
    ['[Y] and [Y] of [X]', /\[Y\] 2 times/],
    ['The capital is [Y] .', /no \[X\]/],
    ['[X] or [X] is [Y]', /\[X\] 2 times/],
    ['[X] is [Y] [MASK]', /contains \[MASK\]/],
  ])('rejects %j', (template, message) => {
    expect(templateProblem(template)).toMatch(message);
    expect(() => fillTemplate(template, 'France')).toThrow(TemplateError);
    expect(() => fillTemplate(template, 'France')).toThrow(message);
  });

  it('rejects an empty subject or one holding a slot', () => {
    expect(() => fillTemplate('[X] is [Y]', '  ')).toThrow('subject is empty');
    expect(() => fillTemplate('[X] is [Y]', 'a [MASK]')).toThrow('subject contains');
    expect(() => fillTemplate('[X] is [Y]', '[Y]')).toThrow('subject contains');
  });
});

describe('clozeProblem', () => {
  it('accepts exactly one [MASK]', () => {
    expect(clozeProblem('The capital of France is [MASK] .')).toBeUndefined();
    expect(clozeProblem('法国的首都是[MASK]。')).toBeUndefined();
  });

  it('tells where to add [MASK] when it is missing', () => {
    expect(clozeProblem('The capital of France is Paris .')).toBe(
      'prompt has no [MASK]: add [MASK] where the object goes',
    );
  });

  it('rejects several masks and leftover template slots', () => {
    expect(clozeProblem('[MASK] [MASK]')).toMatch(/2 \[MASK\]s: use exactly one/);
    expect(clozeProblem('The capital of [X] is [MASK] .')).toMatch(/contains \[X\] or \[Y\]/);
  });
});

describe('splitCloze', () => {
  it('returns the text around the mask', () => {
    expect(splitCloze('The capital of France is [MASK] .')).toEqual({
      before: 'The capital of France is ',
      after: ' .',
    });
    expect(splitCloze('法国的首都是[MASK]。')).toEqual({ before: '法国的首都是', after: '。' });
  });

  it('throws on a text that is not a cloze', () => {
    expect(() => splitCloze('no mask')).toThrow(TemplateError);
  });
});
