import AxeBuilder from '@axe-core/playwright';
import type { BrowserContext, Page } from 'playwright-core';
import type { TestUser } from '../factories/index.js';
import type { TestApp } from './app.js';

/** No serious or critical axe-core (WCAG 2.x A/AA) violation on the page as shown. */
export async function expectAccessible(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const grave = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`);
  expect(grave).toEqual([]);
}

/**
 * Opens /console in a new page of `context` and signs in through the hosted login (which
 * must pass axe-core too); returns the page, wherever the sign-in led (the console, or
 * the 403 page for a user who is not an admin).
 */
export async function signInToConsole(t: TestApp, context: BrowserContext, user: TestUser): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${t.url}/console`);
  expect(new URL(page.url()).pathname).toBe('/oauth/authorize');
  await expectAccessible(page);
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  return page;
}
