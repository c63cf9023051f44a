import { describe, expect, it } from 'vitest';
import { checkDraft, emptyDraft, factFromDrafts } from './fact-form';

describe('fact form', () => {
  it('builds a fact from a cloze and a template in two languages', () => {
    const en = { ...emptyDraft('en'), text: 'The capital of France is [MASK] .', object: 'Paris' };
    const zh = {
      ...emptyDraft('zh'),
      mode: 'template' as const,
      template: '[X]的首都是[Y]。',
      subject: '法国',
      object: '巴黎',
    };
    const { fact, errors } = factFromDrafts([en, zh], 'fact-1');
    expect(errors).toEqual([{}, {}]);
    expect(fact).toEqual({
      id: 'fact-1',
      subject: '法国',
      prompts: [
        { language: 'en', text: 'The capital of France is [MASK] .', object: 'Paris' },
        {
          language: 'zh',
          text: '法国的首都是[MASK]。',
          object: '巴黎',
          template: '[X]的首都是[Y]。',
          subject: '法国',
        },
      ],
    });
  });

  it('says what is wrong with each field', () => {
    expect(
      checkDraft({ ...emptyDraft('en'), text: 'The capital of France is Paris', object: 'Paris' })
        .errors,
    ).toEqual({
      text: 'Prompt has no [MASK]: add [MASK] where the object goes.',
    });
    expect(
      checkDraft({ ...emptyDraft('english!'), text: '[MASK] [MASK]', object: ' ' }).errors,
    ).toMatchObject({
      language: expect.stringMatching(/not a language code/),
      text: expect.stringMatching(/2 \[MASK\]s/),
      object: expect.stringMatching(/Give the object/),
    });
    expect(
      checkDraft({
        ...emptyDraft('en'),
        mode: 'template',
        template: 'capital of [X]',
        subject: '',
        object: 'x',
      }).errors,
    ).toEqual({
      template: 'Template has no [Y]: put [Y] where the object goes.',
      subject: 'Give the subject that [X] stands for.',
    });
    const { fact, errors } = factFromDrafts([emptyDraft('en')], 'f');
    expect(fact).toBeUndefined();
    expect(errors[0].text).toMatch(/no \[MASK\]/);
  });
});
