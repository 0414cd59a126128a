// The AWS SDK for JavaScript v3 in a real browser (headless Chromium) against profilestack: browser/calls.mjs,
// bundled with esbuild, runs in a page of each origin given, each page's results printed as one JSON object for
// tests/e2e/test_javascript_sdk.py to check.
// Usage: node in_browser.mjs <chromium> <profilestack endpoint> <suffix> <page host>[|<image URL>]...
// The page of the n-th host (from 0) names what it makes with <suffix><n>, and loads the image URL if given.
// Each page host is served on 127.0.0.1 under its own name (Chromium maps every name there), so that a page of
// "localhost" and one of "foreign.test" are two origins, both other than the endpoint's. "visit|<URL>" instead
// opens the URL itself, as a typed address or a page's own link would, and reports the status it answered with.
import { createServer } from "node:http";
import { build } from "esbuild";
import { chromium } from "playwright-core";

const [executablePath, endpoint, suffix, ...pageHosts] = process.argv.slice(2);

const bundle = await build({ entryPoints: [new URL("browser/calls.mjs", import.meta.url).pathname], bundle: true,
  format: "iife", platform: "browser", write: false, logLevel: "error" });
const script = bundle.outputFiles[0].text;
const pages = createServer((request, response) => {
  if (request.url.startsWith("/calls.js")) {
    response.writeHead(200, { "content-type": "text/javascript" }).end(script);
  } else {
    response.writeHead(200, { "content-type": "text/html" }).end('<!doctype html><script src="/calls.js"></script>');
  }
});
await new Promise((resolve) => pages.listen(0, "127.0.0.1", resolve));
const { port } = pages.address();

const browser = await chromium.launch({ executablePath, args: ["--host-resolver-rules=MAP * 127.0.0.1"] });
const out = {};
try {
  for (const [index, spec] of pageHosts.entries()) {
    const [host, image] = spec.split("|");
    const page = await browser.newPage();
    if (host === "visit") {
      out[`visit ${new URL(image).hostname}`] = { status: (await page.goto(image)).status() };
      await page.close();
      continue;
    }
    const refusals = [];
    page.on("console", (message) => { if (message.type() === "error") refusals.push(message.text()); });
    await page.goto(`http://${host}:${port}/?endpoint=${encodeURIComponent(endpoint)}&suffix=${suffix}${index}`
      + (image ? `&image=${encodeURIComponent(image)}` : ""));
    out[host] = { ...(await page.evaluate(() => window.results)), consoleErrors: refusals };
    await page.close();
  }
} finally {
  await browser.close();
  pages.close();
}
process.stdout.write(JSON.stringify(out));
