"""The sample browser's script (plain ES2017, no libraries: the page must work offline from file://).

It reads the embedded JSON once, filters the item list in memory and builds DOM for the current page only, so a
10,000-item report opens as fast as a 20-item one. Every string from the data reaches the page through textContent,
attributes set with setAttribute, or data-URI image sources: nothing is ever parsed as markup (no innerHTML).
The filters live in the address's hash (#config=TTV&filter=forgotten&page=2): read at load, rewritten on each
change, so a link reopens the same view.
"""

SCRIPT = r"""
(function () {
"use strict";
const root = document.getElementById("sb");
const PER_PAGE = 20, L = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}
function add(parent, ...kids) { for (const k of kids) parent.appendChild(k); return parent; }
let D;
try { D = JSON.parse(document.getElementById("sb-data").textContent); }
catch (e) { root.appendChild(el("p", "sb-note", "The sample browser's data could not be read: " + e)); return; }
const parsedMs = performance.now();
const runs = D.runs, items = D.items, turns = D.turns, images = D.images, pairs = D.pairs;
const letter = (i) => (i === null || i === undefined) ? "—" : (i < 26 ? L[i] : String(i + 1));
const family = (s) => s.split(".")[0];
function recAt(it, r, turn) {
  const recs = it.r[r];
  if (!recs) return null;
  for (const rec of recs) if (rec[0] === turn) return rec;
  return null;
}
// outcome of each run's scored record: 1 right, 0 wrong, 2 not applicable, -1 the run did not score the item
for (const it of items) {
  it.o = []; it.p = [];
  for (let r = 0; r < runs.length; r++) {
    const rec = recAt(it, r, it.t);
    it.o.push(rec === null ? -1 : (rec[5] !== null || rec[2] === null) ? 2 : (rec[2] ? 1 : 0));
    it.p.push(rec === null ? null : rec[1]);
  }
}
function searchText(it) {  // built on the first search only
  if (it.q === undefined) {
    const bits = [it.id];
    for (const ti of it.u || []) {
      const t = turns[ti];
      for (const p of t.p) if (p[0] === "t") bits.push(p[1]);
      bits.push(...t.c);
    }
    for (const recs of it.r) for (const rec of recs || []) if (rec[4]) bits.push(rec[4]);
    it.q = bits.join("\n").toLowerCase();
  }
  return it.q;
}
const KEYS = ["config", "source", "outcome", "rel", "q"], NUMS = ["run", "a", "b", "page"];
function defaults() {
  return {config: "", source: "", outcome: "", rel: "", q: "", run: 1, a: 1, b: Math.min(2, runs.length), page: 1};
}
function readHash() {
  const h = new URLSearchParams(location.hash.replace(/^#/, "")), s = defaults();
  for (const k of KEYS) if (h.has(k)) s[k] = h.get(k);
  if (!["", "correct", "incorrect", "na"].includes(s.outcome)) s.outcome = "";
  if (!["", "forgot", "gained", "differ"].includes(s.rel)) s.rel = "";
  for (const k of NUMS) {
    const v = parseInt(h.get(k), 10);
    if (v >= 1 && (k === "page" || v <= runs.length)) s[k] = v;
  }
  const f = /^forgotten(?::(\d+))?$/.exec(h.get("filter") || "");
  const pair = f ? pairs[(f[1] ? parseInt(f[1], 10) : 1) - 1] : null;
  if (pair) { s.a = pair.a + 1; s.b = pair.b + 1; s.rel = "forgot"; }
  return s;
}
function pairIndex(s) { return pairs.findIndex((p) => p.a + 1 === s.a && p.b + 1 === s.b); }
function writeHash(s) {
  const h = new URLSearchParams();
  if (s.config) h.set("config", s.config);
  if (s.source) h.set("source", s.source);
  if (s.outcome) { h.set("run", s.run); h.set("outcome", s.outcome); }
  const k = pairIndex(s);
  if (s.rel === "forgot" && k >= 0) h.set("filter", k === 0 ? "forgotten" : "forgotten:" + (k + 1));
  else if (s.rel) { h.set("a", s.a); h.set("b", s.b); h.set("rel", s.rel); }
  if (s.q.trim()) h.set("q", s.q.trim());
  if (s.page > 1) h.set("page", s.page);
  const text = h.toString();
  try { history.replaceState(null, "", "#" + (text || "samples")); } catch (e) { /* some file:// setups refuse */ }
}
function matches(it, s, q) {
  if (s.config && it.c !== s.config) return false;
  if (s.source && it.s !== s.source && !it.s.startsWith(s.source + ".")) return false;
  if (s.outcome) {
    const o = it.o[s.run - 1];
    if (o !== {correct: 1, incorrect: 0, na: 2}[s.outcome]) return false;
  }
  if (s.rel) {
    const a = it.o[s.a - 1], b = it.o[s.b - 1];
    if (s.rel === "forgot" && !(a === 0 && b === 1)) return false;  // A wrong where B is right
    if (s.rel === "gained" && !(a === 1 && b === 0)) return false;
    if (s.rel === "differ" && !(a >= 0 && a <= 1 && b >= 0 && b <= 1 && it.p[s.a - 1] !== it.p[s.b - 1])) return false;
  }
  return !q || searchText(it).includes(q);
}
// ---- controls (built once)
function select(id, label, options) {
  const box = el("label", "sb-ctl", label + " "), s = el("select");
  s.id = id;
  for (const [value, text] of options) { const o = el("option", null, text); o.value = String(value); s.appendChild(o); }
  return [add(box, s), s];
}
const runOpts = runs.map((r, i) => [i + 1, r.label]);
const configs = [...new Set(items.map((it) => it.c))].sort();
const sources = [...new Set(items.map((it) => it.s))].sort();
const fams = [...new Set(sources.map(family))].filter((f) => sources.some((s) => s.startsWith(f + "."))).sort();
const C = {};
const bar = el("div", "sb-bar");
let box;
[box, C.config] = select("sb-config", "config", [["", "all"], ...configs.map((c) => [c, c])]); bar.appendChild(box);
[box, C.source] = select("sb-source", "source", [["", "all"], ...fams.map((f) => [f, f + ".*"]),
  ...sources.map((s) => [s, s])]); bar.appendChild(box);
[box, C.outcome] = select("sb-outcome", "outcome", [["", "any"], ["correct", "correct"], ["incorrect", "incorrect"],
  ["na", "n/a"]]); bar.appendChild(box);
[box, C.run] = select("sb-run", "of", runOpts); bar.appendChild(box);
const bar2 = el("div", "sb-bar");
[box, C.a] = select("sb-a", "compare", runOpts); bar2.appendChild(box);
[box, C.rel] = select("sb-rel", "", [["", "(off)"], ["forgot", "wrong, right in"], ["gained", "right, wrong in"],
  ["differ", "chose differently from"]]); bar2.appendChild(box);
[box, C.b] = select("sb-b", "", runOpts); bar2.appendChild(box);
pairs.forEach((p, k) => {
  const b = el("button", "sb-preset", "forgotten: " + p.label + (p.forgotten === null ? "" : " (" + p.forgotten + ")"));
  b.type = "button"; b.id = "sb-forgotten-" + (k + 1);
  b.addEventListener("click", () => { S.a = p.a + 1; S.b = p.b + 1; S.rel = "forgot"; S.page = 1; update(); });
  bar2.appendChild(b);
});
const bar3 = el("div", "sb-bar");
C.q = el("input"); C.q.id = "sb-q"; C.q.type = "search"; C.q.placeholder = "search id or text";
const reset = el("button", null, "reset"); reset.type = "button";
reset.addEventListener("click", () => { S = defaults(); update(); });
add(bar3, add(el("label", "sb-ctl", "search "), C.q), reset);
function sync() {
  for (const k of KEYS.concat(NUMS)) if (C[k] && C[k].value !== String(S[k])) C[k].value = String(S[k]);
  C.run.disabled = !S.outcome; C.b.disabled = C.a.disabled = !S.rel;
}
for (const k of ["config", "source", "outcome", "rel", "run", "a", "b"]) {
  C[k].addEventListener("change", () => {
    S[k] = NUMS.includes(k) ? parseInt(C[k].value, 10) : C[k].value; S.page = 1; update();
  });
}
let timer = null;
C.q.addEventListener("input", () => {
  clearTimeout(timer);
  timer = setTimeout(() => { S.q = C.q.value; S.page = 1; update(); }, 150);
});
// ---- one item as its dialogue
function choices(t, it, j) {
  const n = t ? t.c.length : Math.max(0, ...it.r.map((recs) => { const x = recs && recs.find((r) => r[0] === j);
    return x ? x[3].length : 0; }));
  const gold = t ? t.a : (j === it.t ? it.g : null);
  const who = [];
  runs.forEach((r, k) => { const rec = recAt(it, k, j); if (rec) who.push([r, rec]); });
  if (!who.length && t) {  // a context turn no run answered (teacher forcing): the options on one line
    const line = el("div", "sb-opts");
    t.c.forEach((text, c) => line.appendChild(el("span", c === gold ? "gold" : null,
      letter(c) + (c === gold ? " ✓ " : " ") + text)));
    return [line];
  }
  const tab = el("table", "sb-ch"), head = el("tr");
  add(head, el("th", null, ""), el("th", null, "option"));
  for (const [r] of who) { const th = el("th", "sb-run", r.label); th.title = r.path; head.appendChild(th); }
  add(tab, add(el("thead"), head));
  const body = el("tbody");
  for (let c = 0; c < n; c++) {
    const tr = el("tr", c === gold ? "gold" : null);
    add(tr, el("td", "sb-l", letter(c) + (c === gold ? " ✓" : "")), el("td", "sb-o", t ? t.c[c] : "(text unavailable)"));
    for (const [, rec] of who) {
      const ll = rec[3][c], td = el("td", "sb-ll", ll === null || ll === undefined ? "—" : ll.toFixed(3));
      if (rec[1] === c) td.className += c === gold ? " pick right" : " pick wrong";
      tr.appendChild(td);
    }
    body.appendChild(tr);
  }
  const out = [add(tab, body)];
  for (const [r, rec] of who) {
    if (rec[5] !== null) out.push(el("div", "sb-reply", r.label + ": not applicable (" + rec[5] + ")"));
    else if (rec[4] !== null) out.push(el("div", "sb-reply", r.label + " replied: " + JSON.stringify(rec[4])));
  }
  return out;
}
function thumb(k) {
  const im = images[k], img = el("img", "sb-thumb");
  img.src = im[0]; img.alt = "image " + im[2] + "×" + im[3]; img.title = "click to enlarge";
  img.addEventListener("click", () => zoom(k));
  return img;
}
function card(it) {
  const c = el("article", "sb-item");
  c.setAttribute("data-id", it.id);
  const h = add(el("div", "sb-head"), el("strong", "sb-id", it.id), el("span", "sb-tag", it.c),
    el("span", "sb-tag", it.s), el("span", "sb-tag", "gold " + letter(it.g)));
  runs.forEach((r, k) => {
    const o = it.o[k];
    if (o < 0) return;
    const b = el("span", "sb-badge " + ["wrong", "right", "na"][o],
      r.label + ": " + (o === 2 ? "n/a" : letter(it.p[k]) + (o ? " ✓" : " ✗")));
    h.appendChild(b);
  });
  c.appendChild(h);
  if (!it.u) {
    c.appendChild(el("p", "sb-note", D.datasets[it.d].ok ? "Not in the dataset's items.jsonl: no text."
      : "Dataset directory missing: no text or images."));
    add(c, ...choices(null, it, it.t));
    return c;
  }
  it.u.forEach((ti, j) => {
    const t = turns[ti], d = el("div", "sb-turn" + (j === it.t ? " scored" : ""));
    d.appendChild(el("div", "sb-th", "turn " + (j + 1) + " · " + t.k + " · " + t.s + (j === it.t ? " · scored" : "")));
    const parts = el("div", "sb-parts");
    for (const p of t.p) {
      if (p[0] === "t") parts.appendChild(el("span", "sb-text", p[1]));
      else if (p[0] === "i") parts.appendChild(thumb(p[1]));
      else parts.appendChild(el("span", "sb-miss", "[image not shown: " + p[1] + "]"));
    }
    add(d, parts, ...choices(t, it, j));
    c.appendChild(d);
  });
  return c;
}
// ---- enlarge
const zbox = el("div", "sb-zoom"), zimg = el("img"), zcap = el("div", "sb-zcap");
zbox.id = "sb-zoom"; zbox.hidden = true; add(zbox, zimg, zcap); document.body.appendChild(zbox);
zbox.addEventListener("click", () => { zbox.hidden = true; });
document.addEventListener("keydown", (e) => { if (e.key === "Escape") zbox.hidden = true; });
function zoom(k) {
  const im = images[k];
  zimg.src = im[1] || im[0]; zimg.alt = "image " + im[2] + "×" + im[3];
  zcap.textContent = im[2] + "×" + im[3] + " px original" + (im[1] ? "" : "; only the thumbnail is embedded") +
    " (click or Esc to close)";
  zbox.hidden = false;
}
// ---- page
const notes = el("div", "sb-notes");
for (const n of D.notes) notes.appendChild(el("p", "sb-note", n));
const status = el("div", "sb-status"), pagerTop = el("div", "sb-pager"), list = el("div", "sb-list"),
  pagerBottom = el("div", "sb-pager");
status.id = "sb-status"; list.id = "sb-list";
root.textContent = "";
add(root, notes, bar, bar2, bar3, status, pagerTop, list, pagerBottom);
function pager(box, page, pages) {
  box.textContent = "";
  const go = (p) => { S.page = p; update(); };
  const prev = el("button", "sb-prev", "‹ previous"), next = el("button", "sb-next", "next ›");
  prev.type = next.type = "button"; prev.disabled = page <= 1; next.disabled = page >= pages;
  prev.addEventListener("click", () => go(page - 1)); next.addEventListener("click", () => go(page + 1));
  const input = el("input"); input.type = "number"; input.min = "1"; input.max = String(pages);
  input.value = String(page); input.className = "sb-goto";
  input.addEventListener("change", () => go(Math.max(1, Math.min(pages, parseInt(input.value, 10) || 1))));
  add(box, prev, el("span", null, " page "), input, el("span", null, " of " + pages + " "), next);
}
let S = readHash();
function render() {
  sync();
  const q = S.q.trim().toLowerCase(), hits = items.filter((it) => matches(it, S, q));
  const pages = Math.max(1, Math.ceil(hits.length / PER_PAGE));
  S.page = Math.min(Math.max(1, S.page), pages);
  const shown = hits.slice((S.page - 1) * PER_PAGE, S.page * PER_PAGE);
  let text = hits.length + " of " + items.length + " items · page " + S.page + " of " + pages;
  const k = pairIndex(S);
  if (S.rel === "forgot" && k >= 0 && pairs[k].forgotten !== null && !S.config && !S.source && !S.outcome && !q)
    text += " · forgetting.json counts " + pairs[k].forgotten + " forgotten";
  status.textContent = text;
  for (const [key, v] of [["total", hits.length], ["page", S.page], ["pages", pages], ["shown", shown.length]])
    status.setAttribute("data-" + key, String(v));
  pager(pagerTop, S.page, pages); pager(pagerBottom, S.page, pages);
  list.textContent = "";
  const frag = document.createDocumentFragment();
  for (const it of shown) frag.appendChild(card(it));
  list.appendChild(frag);
}
function update() { writeHash(S); render(); }
// a hash that names no filter (the table of contents' #iit, #samples...) leaves the browser as it is
const asks = () => { const h = new URLSearchParams(location.hash.replace(/^#/, ""));
  return [...KEYS, ...NUMS, "filter"].some((k) => h.has(k)); };
window.addEventListener("hashchange", () => { if (asks()) { S = readHash(); render(); } });
render();
root.setAttribute("data-parse-ms", parsedMs.toFixed(1));
root.setAttribute("data-render-ms", performance.now().toFixed(1));
if (asks()) root.scrollIntoView();
})();
"""
