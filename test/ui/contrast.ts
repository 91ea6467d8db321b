/**
 * WCAG 2 contrast of the text a page shows, measured in the browser: every visible HTML element
 * with text of its own, its computed colour against the first opaque background behind it
 * (translucent layers composited on the way). Normal text needs 4.5:1, large text (24 px, or
 * 18.67 px bold) 3:1; disabled controls are exempt (WCAG 1.4.3). SVG text (the diagrams) is not
 * HTML text and is left out.
 */
import type { Page } from 'playwright-core';

/** One element whose text is below its threshold. */
export interface LowContrast {
  element: string;
  text: string;
  ratio: number;
  needed: number;
}

const SCRIPT = `(() => {
  const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return [0, 0, 0, 0]; const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const over = (top, under) => { const a = top[3]; return [top[0] * a + under[0] * (1 - a), top[1] * a + under[1] * (1 - a), top[2] * a + under[2] * (1 - a), 1]; };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) { const b = parse(getComputedStyle(e).backgroundColor); if (b[3] > 0) { layers.push(b); if (b[3] >= 1) break; } }
    let bg = [255, 255, 255, 1];
    for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
    return bg;
  };
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el instanceof SVGElement || el.closest('svg')) continue;
    const own = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join('').trim();
    if (!own || el.getClientRects().length === 0) continue;
    const cs = getComputedStyle(el);
    if (cs.visibility === 'hidden' || Number(cs.opacity) === 0) continue;
    if (el.closest(':disabled')) continue;
    const bg = background(el);
    const fg = over(parse(cs.color), bg);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const size = parseFloat(cs.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(cs.fontWeight) >= 700);
    const needed = large ? 3 : 4.5;
    if (ratio < needed - 0.005) out.push({ element: el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ').join('.') : ''), text: own.slice(0, 40), ratio: Math.round(ratio * 100) / 100, needed });
  }
  return out;
})()`;

/** The text of the page below its contrast threshold (empty when all of it passes). */
export async function lowContrast(page: Page): Promise<LowContrast[]> {
  return (await page.evaluate(SCRIPT)) as LowContrast[];
}
