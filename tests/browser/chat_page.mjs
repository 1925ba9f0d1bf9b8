// Drives the served chat page in headless Chromium (playwright-core with
// Debian's chromium), opened at the address asterbot serve prints (the
// API key in its fragment): a turn, then a call that waits for approval,
// allowed with the page's button and the approver key typed where the
// page asks for it, then the same call again. Prints one line per reply
// and saves a screenshot.
//
//   node chat_page.mjs PAGE_URL SCREENSHOT.png APPROVER_KEY
import { chromium } from "playwright-core";

const [url, screenshot, approver] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
  ],
});
try {
  const page = await browser.newPage({ viewport: { width: 800, height: 600 } });
  await page.goto(url);
  const say = async (text) => {
    const before = await page.locator(".assistant").count();
    await page.fill("#input", text);
    await page.click("#send");
    await page.locator(".assistant").nth(before).waitFor({ timeout: 30000 });
    const reply = await page.locator(".assistant").nth(before).textContent();
    console.log("reply: " + reply);
  };
  await say("what is 6 * 7?");
  await say("remember that I like tea");
  await say("forget facts");
  const approval = page.locator(".approval").last();
  console.log("asks: " + (await approval.textContent()).split("Allow")[0].trim());
  page.once("dialog", async (dialog) => {
    console.log("the page asks for: " + dialog.message());
    await dialog.accept(approver);
  });
  await approval.locator("button", { hasText: "Allow" }).click();
  await page.locator(".approval", { hasText: "Allowed" }).waitFor({ timeout: 30000 });
  await say("forget facts");
  console.log("address bar: " + (page.url().includes("key=") ? "shows the key" : "no key"));
  await page.screenshot({ path: screenshot, fullPage: true });
} finally {
  await browser.close();
}
