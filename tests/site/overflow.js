// What sticks out of the viewport (a phone's 390 px) in the article, outside
// a box that scrolls sideways by itself; also the page's own sideways
// overflow. Returns short descriptions of the outermost offenders.
() => {
  const vw = document.documentElement.clientWidth;
  const found = [];
  if (document.documentElement.scrollWidth > vw + 1) {
    found.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} px wide in ${vw} px`);
  }
  // Inside some box that scrolls sideways and itself fits on the screen.
  const heldByScrollBox = (el) => {
    for (let e = el.parentElement; e && e !== document.body; e = e.parentElement) {
      const overflow = getComputedStyle(e).overflowX;
      const box = e.getBoundingClientRect();
      if ((overflow === "auto" || overflow === "scroll") && box.right <= vw + 1 && box.left >= -1) {
        return true;
      }
    }
    return false;
  };
  const reported = new Set();
  const article = document.querySelector("main article") || document.body;
  for (const el of article.querySelectorAll("*")) {
    if (el.closest("mjx-assistive-mml, details:not([open])")) continue;  // clipped or folded away
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    if (box.right <= vw + 1 && box.left >= -1) continue;
    if (heldByScrollBox(el)) continue;
    let ancestor = el.parentElement, nested = false;
    for (; ancestor; ancestor = ancestor.parentElement) if (reported.has(ancestor)) { nested = true; break; }
    reported.add(el);
    if (nested) continue;
    const cls = typeof el.className === "string" && el.className ? "." + el.className.split(" ")[0] : "";
    found.push(`${el.tagName.toLowerCase()}${cls} spans ${Math.round(box.left)}..${Math.round(box.right)} px: ` +
               `${(el.textContent || "").trim().slice(0, 60)}`);
  }
  return found;
}
