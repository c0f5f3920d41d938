// Measurements, not tests: `npx playwright test -c measure.config.ts`.
import base from "./playwright.config";
import { defineConfig } from "@playwright/test";

export default defineConfig({
  ...base,
  testDir: "./measure",
  timeout: 180_000,
  projects: [{ name: "hydrated", use: { javaScriptEnabled: true } }],
});
