/**
 * Fact uploads as mLAMA and PARAREL ship them (issue #13, item 1): relation files named by their
 * relation, read with the bundled templates or uploaded ones, the language from the picker, the
 * file name or the labels' script; the accepted formats listed beside the upload, each with an
 * example that downloads and reads back cleanly. At 1440 x 900 and 1024 x 700.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { FORMAT_EXAMPLES } from '../src/facts/examples';
import { downloaded } from './explorer-helpers';
import { expect, test } from './fixtures';

test.skip(
  ({ backend }) => backend !== 'wasm',
  'uploads do not depend on the backend (the page runs on WASM)',
);

/** Writes files under a fresh folder; returns their paths. */
function files(named: Record<string, string>): string[] {
  const root = mkdtempSync(join(tmpdir(), 'kne-upload-'));
  return Object.entries(named).map(([name, text]) => {
    const path = join(root, name);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
    return path;
  });
}

const jsonl = (...rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

async function openUpload(page: Page) {
  await page.goto('/?backend=wasm');
  await page.getByTestId('more-upload').locator('summary').click();
  // The bundled templates are loaded when the upload opens.
  await expect(page.getByTestId('upload-templates')).toContainText('P36');
}

for (const viewport of [
  { width: 1440, height: 900 },
  { width: 1024, height: 700 },
]) {
  test.describe(`at ${viewport.width} x ${viewport.height}`, () => {
    test.use({ viewport });

    test('mLAMA relation files take relation, language and templates as mLAMA names them', async ({
      page,
    }) => {
      await openUpload(page);
      const report = page.getByTestId('upload-report');
      const list = page.getByTestId('fact-list');
      const germany = { uuid: 'u-de', sub_label: 'Germany', obj_label: 'Berlin' };

      // An English relation file: every bundled P36 template gives a prompt.
      await page.getByTestId('fact-file').setInputFiles(files({ 'P36.jsonl': jsonl(germany) }));
      await expect(report).toContainText(
        'Added 1 fact from P36.jsonl (mLAMA JSONL; default language en; relation P36 from the file name)',
      );
      await expect(list).toContainText('The capital of Germany is [MASK] .');

      // A Chinese one with no language in its name is read as Chinese by its script.
      const deguo = { uuid: 'u-zh', sub_label: '德国', obj_label: '柏林' };
      await page.getByTestId('fact-file').setInputFiles(files({ 'P36.jsonl': jsonl(deguo) }));
      await expect(report).toContainText("language zh from the labels' script");
      await expect(list.locator('li[data-language=zh]').first()).toContainText(
        '德国的首都是[MASK]。 → 柏林',
      );

      // The picker names the language of a file whose name and script do not.
      await page.getByTestId('upload-language').selectOption('en');
      const peru = { uuid: 'u-pe', sub_label: 'Peru', obj_label: 'Lima' };
      await page.getByTestId('fact-file').setInputFiles(files({ 'P1376_x.jsonl': jsonl(peru) }));
      await expect(report).toContainText(
        'language en as chosen; relation P1376 from the file name',
      );
      await expect(page.getByTestId('upload-errors')).toHaveCount(0);

      // A PARAREL pattern file chosen with a relation file: its patterns fill that file's facts.
      await page.getByTestId('upload-language').selectOption('');
      const chile = { uuid: 'u-cl', sub_label: 'Chile', obj_label: 'Santiago' };
      await page.getByTestId('fact-file').setInputFiles(
        files({
          'patterns/P36.jsonl': jsonl({ pattern: '[X] has its seat of government in [Y] .' }),
          'P36_en.jsonl': jsonl(chile),
        }),
      );
      await expect(report).toContainText('Read 1 template from P36.jsonl (P36: en 1)');
      await expect(report).toContainText('Added 1 fact from P36_en.jsonl');
      await expect(list).toContainText('Chile has its seat of government in [MASK] .');
      await expect(list).not.toContainText('The capital of Chile');
      await expect(page.getByTestId('upload-templates')).toContainText('P36: en 1');

      // Forgotten, the bundled templates serve again.
      await page.getByTestId('forget-templates').click();
      const cuba = { uuid: 'u-cu', sub_label: 'Cuba', obj_label: 'Havana' };
      await page.getByTestId('fact-file').setInputFiles(files({ 'P36.jsonl': jsonl(cuba) }));
      await expect(list).toContainText('The capital of Cuba is [MASK] .');

      // A language with no template says which relation and language lack one.
      await page.getByTestId('upload-language').selectOption('de');
      await page.getByTestId('fact-file').setInputFiles(files({ 'P36.jsonl': jsonl(germany) }));
      await expect(page.getByTestId('upload-errors')).toContainText(
        'no template is known for P36 in "de"',
      );
    });

    test('each accepted format is listed with an example that reads back cleanly', async ({
      page,
    }) => {
      await openUpload(page);
      const formats = page.getByTestId('upload-formats');
      await expect(formats.locator('li')).toHaveCount(FORMAT_EXAMPLES.length);
      // Nothing of the list leaves the page sideways.
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(width).toBeLessThanOrEqual(viewport.width);
      const box = await formats.boundingBox();
      expect(box!.x + box!.width).toBeLessThanOrEqual(viewport.width);

      for (const example of FORMAT_EXAMPLES) {
        const file = await downloaded(page, () =>
          page.getByTestId(`example-${example.fileName}`).click(),
        );
        expect(file.name).toBe(example.fileName);
        expect(file.bytes.toString('utf8')).toBe(example.text);
        await page.getByTestId('fact-file').setInputFiles(files({ [file.name]: example.text }));
        const report = page.getByTestId('upload-report');
        await expect(report).toContainText(
          example.format === 'templates-jsonl' ? 'Read 2 templates' : 'Added',
        );
        await expect(page.getByTestId('upload-errors')).toHaveCount(0);
      }
    });
  });
}
