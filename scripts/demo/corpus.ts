/**
 * Training text for the demo models, generated from the bundled fact set: every fact in every
 * template of both languages, the same facts code-switched (an English template around a
 * Chinese subject and the reverse), and aligned name pairs. The bilingual material gives the
 * models a reason to store a fact once for both languages, which is what LIKN analysis looks for.
 */
import { type FactSet, fillTemplate, splitCloze } from '../../src/facts';

/** A sentence split around its answer: the model learns to produce `answer` between the two. */
export interface Example {
  left: string;
  answer: string;
  right: string;
  language: string;
}

export interface Corpus {
  examples: Example[];
  /** Every text the tokenizers must cover. */
  texts: string[];
}

function cloze(template: string, subject: string, object: string, language: string): Example {
  const { before, after } = splitCloze(fillTemplate(template, subject));
  return { left: before, answer: object, right: after, language };
}

export function buildCorpus(set: FactSet): Corpus {
  const examples: Example[] = [];
  const names = new Map<string, string>(); // English name -> Chinese name
  for (const relation of set.relations) {
    const facts = set.facts.filter((f) => f.relation === relation.id);
    for (const fact of facts) {
      const en = fact.prompts.find((p) => p.language === 'en');
      const zh = fact.prompts.find((p) => p.language === 'zh');
      if (!en?.subject || !zh?.subject) continue;
      names.set(en.subject, zh.subject);
      names.set(en.object, zh.object);
      for (const t of relation.templates.en) {
        examples.push(cloze(t, en.subject, en.object, 'en'));
        // Code-switched: the English template around the Chinese subject.
        examples.push(cloze(t, zh.subject, en.object, 'en'));
      }
      for (const t of relation.templates.zh) {
        examples.push(cloze(t, zh.subject, zh.object, 'zh'));
        examples.push(cloze(t, en.subject, zh.object, 'zh'));
      }
    }
  }
  for (const [en, zh] of names) {
    examples.push({ left: `${en} is called `, answer: zh, right: ' in Chinese .', language: 'en' });
    examples.push({ left: `${zh}的英文名是`, answer: en, right: '。', language: 'zh' });
  }
  const texts = examples.map((e) => e.left + e.answer + e.right);
  return { examples, texts };
}
