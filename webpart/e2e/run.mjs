// End-to-end: the dev page (the web part's chat component) in headless Chromium against the
// running app in dev mode. Driven by tests/integration/test_webpart.py, which starts the app and
// passes: APP_URL, SECRET_TITLE (a confidential document only SECRET_READER may read),
// SECRET_PHRASE, SECRET_QUESTION, OUTSIDER (a user of another department), SCREENSHOT (optional).
// Prints one JSON line per scenario; before the last one it prints {"stop": true} and waits for a
// line on stdin, meaning the server was stopped.
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const env = process.env;
const APP = env.APP_URL;
const ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-quic', '--no-first-run', '--ignore-certificate-errors'];
const ANSWER_TIMEOUT = Number(env.ANSWER_TIMEOUT_MS || 600000);

function report(scenario, data = {}) {
  console.log(JSON.stringify({ scenario, ...data }));
  console.error(`e2e: ${scenario} passed ${JSON.stringify(data).slice(0, 300)}`);
}

// Whatever happens, the test is not left waiting.
setTimeout(() => {
  console.error('e2e: watchdog: still running after 40 minutes');
  process.exit(3);
}, Number(env.E2E_WATCHDOG_MS || 40 * 60 * 1000)).unref();

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function open(browser, query) {
  const context = await browser.newContext({ locale: 'de-DE', viewport: { width: 1000, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${APP}/?${query}`);
  await page.waitForFunction(() => document.querySelectorAll('#demo-user option').length > 0);
  return page;
}

async function chooseUser(page, upn) {
  await page.selectOption('#demo-user', upn);
}

const log = (page) => page.getByRole('log');

async function waitForAnswer(page, turns) {
  await page.waitForFunction(
    (n) => document.querySelectorAll('[data-testid=answer]').length >= n && document.querySelector('[role=log]').getAttribute('aria-busy') === 'false',
    turns,
    { timeout: ANSWER_TIMEOUT }
  );
}

/** Asks through the question box and samples the answer area while it streams. */
async function askAndWatch(page, question) {
  const box = page.getByLabel('Ihre Frage');
  await box.fill(question);
  const turns = (await page.locator('[data-testid=answer]').count()) + 1;
  const started = Date.now();
  await box.press('Enter');
  const focused = await page.evaluate(() => document.activeElement?.tagName === 'TEXTAREA');
  const lengths = [];
  let firstTokenMs;
  for (;;) {
    const state = await page.evaluate((n) => {
      const answers = document.querySelectorAll('[data-testid=answer]');
      const answer = answers[n - 1];
      const text = answer ? answer.textContent.replace(/^\S+:\s*/, '') : '';
      return { text, busy: document.querySelector('[role=log]').getAttribute('aria-busy') === 'true', thinking: !!answer?.querySelector('p') && /…/.test(answer.textContent) };
    }, turns);
    const visible = state.thinking ? 0 : state.text.length;
    if (visible > 0 && firstTokenMs === undefined) firstTokenMs = Date.now() - started;
    if (!lengths.length || lengths[lengths.length - 1] !== visible) lengths.push(visible);
    if (!state.busy && (visible > 0 || Date.now() - started > 2000)) break;
    check(Date.now() - started < ANSWER_TIMEOUT, `no answer in time: ${JSON.stringify({ ...state, lengths })}`);
    await page.waitForTimeout(25);
  }
  return { firstTokenMs, lengths, totalMs: Date.now() - started, focused };
}

const browser = await chromium.launch({ executablePath: env.CHROMIUM || '/usr/bin/chromium', headless: true, args: ARGS });
try {
  // 1. Ask and watch the answer grow; the focus stays in the box.
  let page = await open(browser, 'lang=de');
  check((await page.getByLabel('Ihre Frage').count()) === 1, 'the question box has a visible label');
  check((await log(page).getAttribute('aria-live')) === 'polite', 'the answer area is a live region');
  const watched = await askAndWatch(page, env.STREAM_QUESTION || 'Wie hoch ist die Hotelobergrenze pro Nacht in Deutschland?');
  check(watched.focused, 'focus stays in the question box after sending');
  // The server releases an answer sentence by sentence once each passed the grounding check, so a
  // one-sentence or extractive answer arrives as one piece; growth delta by delta is covered by
  // src/chat/Chat.test.tsx. Here: the text appears, and is never taken back while it streams.
  const shown = watched.lengths.filter((n) => n > 0);
  check(shown.length >= 1, `the answer appeared: ${watched.lengths}`);
  check(shown.every((n, i) => i === 0 || n >= shown[i - 1]), `the shown answer only grew: ${watched.lengths}`);
  report('stream', watched);

  // 2. Click a citation: it opens the SharePoint document in a new tab.
  const link = log(page).locator('ol a').first();
  const href = await link.getAttribute('href');
  check(/^https?:\/\//.test(href || ''), `citation is an http(s) link: ${href}`);
  const [popup] = await Promise.all([page.waitForEvent('popup'), link.click()]);
  await popup.waitForLoadState('domcontentloaded');
  check(popup.url() === href || (env.CITATION_UNREACHABLE && popup.url().startsWith('chrome-error:')), `the citation opened ${popup.url()}, not ${href}`);
  report('citation', { href, status: 'opened' });
  if (env.SCREENSHOT) await page.screenshot({ path: env.SCREENSHOT, fullPage: true });
  await popup.close();
  await page.close();

  // 3. Keyboard only: reach the box with Tab, ask with Enter, rate with the keyboard.
  page = await open(browser, 'lang=de');
  let tabs = 0;
  while (!(await page.evaluate(() => document.activeElement?.tagName === 'TEXTAREA'))) {
    await page.keyboard.press('Tab');
    check(++tabs < 15, 'the question box is reachable with Tab');
  }
  // A question nothing answers: no model call, so the keyboard scenario stays quick.
  await page.keyboard.type(env.KEYBOARD_QUESTION || 'Wie ist das Wetter auf dem Mars?');
  await page.keyboard.press('Enter');
  await waitForAnswer(page, 1);
  let reached = '';
  for (let i = 0; i < 25 && !/Hilfreich/.test(reached); i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => (document.activeElement?.tagName === 'BUTTON' ? document.activeElement.textContent : ''));
  }
  check(/Hilfreich/.test(reached), 'the rating buttons are reachable with Tab');
  await page.keyboard.press('Enter');
  const inComment = () => page.evaluate(() => document.activeElement?.tagName === 'TEXTAREA' && document.activeElement.id.startsWith('comment-'));
  for (let i = 0; i < 3 && !(await inComment()); i++) await page.keyboard.press('Tab');
  check(await inComment(), `Tab leads to the comment, not ${await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 120))} (${await page.locator('textarea').count()} boxes)`);
  await page.keyboard.type('Gut erklärt');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.getByText('Danke für Ihre Rückmeldung.').waitFor({ timeout: 15000 });
  report('keyboard', { tabs, rated: true });
  await page.close();

  // 4. A user from another department does not get the confidential document; its reader does.
  const secretQuestion = env.SECRET_QUESTION;
  page = await open(browser, 'lang=de');
  await chooseUser(page, env.OUTSIDER);
  await askAndWatch(page, secretQuestion);
  const outsiderText = await log(page).textContent();
  const outsiderLinks = await log(page).locator('ol a').allTextContents();
  check(!outsiderText.includes(env.SECRET_PHRASE), 'the outsider sees the secret phrase');
  check(!outsiderLinks.includes(env.SECRET_TITLE), 'the outsider gets the confidential document as a source');
  check(!(await log(page).locator('ol a').allTextContents()).includes(env.SECRET_TITLE), 'no confidential source');
  // The positive control (its reader is answered from it) runs through the same API in pytest.
  report('trimming', { outsiderLinks });

  // 5. The server is stopped: the error is announced with role=alert and a retry; the box stays usable.
  console.log(JSON.stringify({ stop: true }));
  const stdin = createInterface({ input: process.stdin });
  await new Promise((resolve) => stdin.once('line', resolve));
  stdin.close(); // an open stdin would keep node (and the test reading its output) waiting
  await page.getByLabel('Ihre Frage').fill('Ist jemand da?');
  await page.getByLabel('Ihre Frage').press('Enter');
  const alert = page.getByRole('alert');
  await alert.waitFor({ timeout: 30000 });
  const alertText = await alert.textContent();
  check(/nicht erreichbar/.test(alertText), `alert says the assistant is unreachable: ${alertText}`);
  check((await alert.getByRole('button', { name: 'Erneut versuchen' }).count()) === 1, 'the alert offers a retry');
  check(await page.getByLabel('Ihre Frage').isEditable(), 'the box stays usable');
  report('server-stopped', { alert: alertText });
} finally {
  await browser.close();
}
process.exit(0);
