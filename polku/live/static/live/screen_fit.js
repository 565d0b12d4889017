/* Polku projector fit: the presenter view never scrolls, at any projector size.
 * 1. Type is fluid (live.css: the root font size follows min(vw, vh)); when the view is still
 *    too tall or wide, the whole view steps down to 90 % and 80 % of that size.
 * 2. When even that does not fit, the view's lists (cards, themes, bars, canvases, …: every
 *    [data-list] not inside another list item) are cut into pages that fit the stage; the pages
 *    rotate every data-rotate seconds with "1/3" in the corner. ← → (or PageUp/PageDown and
 *    a presenter clicker) turn the pages by hand.
 * Re-fitted whenever the view changes (new cards, revealed results) or the window is resized. */
(function () {
  "use strict";
  var stage = document.querySelector("[data-fit-stage]");
  var view = document.getElementById("live-view");
  if (!stage || !view) return;
  var pager = stage.querySelector("[data-pager]");
  var pagerN = pager && pager.querySelector("[data-pager-n]");
  var root = document.documentElement;
  var SCALES = [1, 0.9, 0.8];
  var PAGED_AT = 0.9, SMALLEST = 0.6;
  var rotateMs = (parseFloat(stage.dataset.rotate) || 12) * 1000;
  var pages = [], page = 0, rotor = null, queued = false, lastFit = 0;

  function scale(s) { root.style.setProperty("--fit", String(s)); }
  function overflows() {
    var doc = document.scrollingElement || root;
    return stage.scrollHeight > stage.clientHeight + 1 || stage.scrollWidth > stage.clientWidth + 1 ||
      doc.scrollHeight > window.innerHeight + 1 || doc.scrollWidth > window.innerWidth + 1;
  }
  function items() {
    var out = [];
    Array.prototype.forEach.call(view.querySelectorAll("[data-list]"), function (list) {
      if (list.closest("[data-item-id]") || list.closest("[hidden]")) return;
      Array.prototype.forEach.call(list.children, function (el) { if (el.dataset.itemId !== undefined) out.push(el); });
    });
    return out;
  }
  function showOnly(all, shown) {
    all.forEach(function (el) { el.classList.toggle("fit-off", shown.indexOf(el) < 0); });
  }
  function paginate(all) {
    var out = [], rest = all.slice();
    pager.hidden = false; pagerN.textContent = "9/9";  // reserve the indicator's room
    var limit = pager.getBoundingClientRect().top;
    var right = stage.getBoundingClientRect().right;
    while (rest.length) {
      showOnly(all, rest);
      var n = 0;
      while (n < rest.length) {
        var r = rest[n].getBoundingClientRect();
        if (r.bottom > limit + 1 || r.right > right + 1) break;
        n += 1;
      }
      n = Math.max(1, n);
      out.push(rest.slice(0, n)); rest = rest.slice(n);
    }
    return out;
  }
  function show(k) {
    var all = items();
    page = (k + pages.length) % pages.length;
    showOnly(all, pages[page]);
    var s = PAGED_AT; scale(s);
    while (overflows() && s > SMALLEST + 0.01) { s -= 0.1; scale(s); }  // one very tall item
    pagerN.textContent = (page + 1) + "/" + pages.length;
    stage.dataset.page = String(page + 1);
    stage.dataset.pages = String(pages.length);
  }
  function fit() {
    queued = false; lastFit = Date.now();
    stage.dataset.fit = "done";
    var all = items(), before = pages.length ? pages[page][0] : null;
    showOnly(all, all);
    pager.hidden = true;
    pages = [];
    for (var i = 0; i < SCALES.length; i++) {
      scale(SCALES[i]);
      if (!overflows()) break;
    }
    if (!overflows() || all.length < 2) {
      var s = SCALES[SCALES.length - 1];
      while (overflows() && s > SMALLEST + 0.01) { s -= 0.1; scale(s); }  // one very tall item
      stage.dataset.page = "1"; stage.dataset.pages = "1";
      stopRotor();
      return;
    }
    scale(PAGED_AT);
    pages = paginate(all);
    var k = 0;
    if (before) pages.forEach(function (p, j) { if (p.indexOf(before) >= 0) k = j; });
    show(k);
    startRotor();
  }
  function startRotor() { if (!rotor) rotor = setInterval(function () { show(page + 1); }, rotateMs); }
  function stopRotor() { if (rotor) { clearInterval(rotor); rotor = null; } }
  function later() {
    if (queued) return;
    queued = true; stage.dataset.fit = "pending";
    // at most ~3 fits a second while a busy room streams snapshots
    setTimeout(function () { requestAnimationFrame(fit); }, Math.max(0, 300 - (Date.now() - lastFit)));
  }
  new MutationObserver(later).observe(view, {
    childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ["hidden"],
  });
  window.addEventListener("resize", later);
  document.addEventListener("keydown", function (e) {
    if (pages.length < 2) return;
    var step = { ArrowRight: 1, PageDown: 1, ArrowLeft: -1, PageUp: -1 }[e.key];
    if (!step) return;
    e.preventDefault();
    stopRotor(); show(page + step); startRotor();
  });
  later();
})();
