import { expect, test } from "@playwright/test";
import { watchErrors } from "./helpers";
import { startTelltale, type Telltale } from "./server";

// The system says light; the header's toggle pins dark, and the choice
// (a cookie) comes back rendered by the server, so the first paint after a
// reload is already dark.
const light = "rgb(247, 248, 250)";
const dark = "rgb(17, 20, 24)";

let telltale: Telltale;

test.beforeAll(async () => {
  telltale = await startTelltale();
});

test.afterAll(async () => {
  expect(await telltale.stop(), telltale.logs()).toBe(0);
});

test.use({ colorScheme: "light" });

test("the theme toggle pins dark or light and a reload keeps it", async ({
  page,
  context,
  javaScriptEnabled,
}) => {
  const errors = watchErrors(page);
  await page.goto(`${telltale.url}/`);
  const body = page.locator("body");
  const html = page.locator("html");
  const toggle = page.getByRole("combobox", { name: "Theme" });
  await expect(body).toHaveCSS("background-color", light);
  await expect(html).not.toHaveAttribute("data-theme");

  if (javaScriptEnabled) {
    await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
    await toggle.selectOption("dark");
    await expect(html).toHaveAttribute("data-theme", "dark");
    await expect(body).toHaveCSS("background-color", dark);
  } else {
    // The toggle needs JavaScript and says so by being disabled; a choice
    // made earlier (the cookie) still applies.
    await expect(toggle).toBeDisabled();
    await context.addCookies([{ name: "telltale-theme", value: "dark", url: telltale.url }]);
  }

  // The server's HTML carries the theme: no flash of light before the bundle.
  const served = await (await page.request.get(`${telltale.url}/jobs`)).text();
  expect(served).toContain('data-theme="dark"');
  await page.reload();
  await expect(html).toHaveAttribute("data-theme", "dark");
  await expect(body).toHaveCSS("background-color", dark);
  await expect(toggle).toHaveValue("dark");

  if (javaScriptEnabled) {
    await expect(page.locator("body[data-hydrated]")).toHaveCount(1);
    await toggle.selectOption("light");
    await expect(body).toHaveCSS("background-color", light);
    await page.reload();
    await expect(html).toHaveAttribute("data-theme", "light");
    await toggle.selectOption("system");
    await expect(html).not.toHaveAttribute("data-theme");
    await expect(body).toHaveCSS("background-color", light);
  }
  expect(errors).toEqual([]);
});

test.describe("with the system in dark mode", () => {
  test.use({ colorScheme: "dark" });

  test("the page follows the system until a theme is pinned", async ({ page }) => {
    await page.goto(`${telltale.url}/`);
    await expect(page.locator("html")).not.toHaveAttribute("data-theme");
    await expect(page.locator("body")).toHaveCSS("background-color", dark);
  });
});
