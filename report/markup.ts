// Text put into markup: the JUnit XML of cli/build-report.ts and the HTML page of a build
// (report/html-page.ts) escape it the same way.

/**
 * Text for an XML element or attribute: the five entities escaped, characters XML 1.0 forbids (most
 * C0 controls, ESC among them) dropped; in an attribute, line breaks and tabs as character
 * references (a parser would turn them into spaces).
 */
export function xml(text: string, attribute = true): string {
  const escaped = text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
  return attribute ? escaped.replace(/\n/g, "&#10;").replace(/\r/g, "&#13;").replace(/\t/g, "&#9;") : escaped;
}
