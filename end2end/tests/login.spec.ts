import { expect, test, type Page } from "@playwright/test";
import { startTelltale, type Telltale } from "./server";

// Auth on: every page asks for a session. Runs hydrated and with JavaScript
// off; hydrated, it also proves the page's Content-Security-Policy lets the
// nonce'd hydration script and the WASM bundle run (a CSP refusal is a
// console error, and the body never gets data-hydrated).
const email = "admin@example.com";
const password = "correct horse battery staple";

let telltale: Telltale;

test.beforeAll(async () => {
  telltale = await startTelltale({
    MONITOR_AUTH_ENABLED: "true",
    MONITOR_AUTH_ADMIN_EMAIL: email,
    MONITOR_AUTH_ADMIN_PASSWORD: password,
  });
});

test.afterAll(async () => {
  const code = await telltale.stop();
  expect(code, `telltale should exit cleanly on SIGTERM:\n${telltale.logs()}`).toBe(0);
});

function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(`console: ${msg.text()}`);
  });
  page.on("pageerror", (err) => errors.push(`pageerror: ${err.message}`));
  return errors;
}

async function signIn(page: Page, pass: string) {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(pass);
  await page.getByRole("button", { name: "Sign in" }).click();
}

test("a page asks for login, the form signs in and back to the page, sign out ends it", async ({
  page,
  javaScriptEnabled,
}) => {
  const errors = watchErrors(page);
  await page.goto(`${telltale.url}/events`);
  await expect(page).toHaveURL(/\/login\?next=%2Fevents$/);
  if (javaScriptEnabled) {
    await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
  }

  await signIn(page, "not the password");
  await expect(page.getByRole("alert")).toHaveText("Wrong email or password.");

  await signIn(page, password);
  await expect(page).toHaveURL(`${telltale.url}/events`);
  await expect(page.locator("header")).toContainText(email);
  if (javaScriptEnabled) {
    await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
  }

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(`${telltale.url}/login`);
  await page.goto(`${telltale.url}/events`);
  await expect(page).toHaveURL(/\/login\?next=/);
  expect(errors).toEqual([]);
});
