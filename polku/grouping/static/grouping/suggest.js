/* Polku grouping suggestions in the facilitator console ("Ehdota ryhmiä"), docs/grouping.md.
 * The server proposes; everything here is the facilitator's draft until they accept: renaming,
 * moving a card, merging, splitting and rejecting change only this page. Accepting sends the
 * card wall's "groups_accept" moderation action through the live connection (live.js). */
(function () {
  "use strict";
  var draft = null; // {slot, level, levels, groups: [{id, name, confidence, cards: [{id, text}]}], ungrouped, duplicates}
  var pendingSplit = null, counter = 0;

  function panel() { return document.querySelector("[data-suggest]"); }
  function live() { return window.PolkuLive; }
  function t(key) { var p = panel(); return p ? p.getAttribute("data-t-" + key) || "" : ""; }
  function status(text) { var p = panel(); if (p) p.querySelector("[data-suggest-status]").textContent = text || ""; }
  function tpl(name) { return panel().querySelector("[data-suggest-tpl='" + name + "']").content.firstElementChild.cloneNode(true); }
  function option(sel, value, label) { var o = document.createElement("option"); o.value = value; o.textContent = label; sel.appendChild(o); }
  function ask(extra) {
    var L = live(); if (!L || L.slot() == null) return;
    var msg = { t: "suggest", id: "sg-" + Date.now().toString(36) + "-" + (++counter), slot: L.slot(), level: draft ? draft.level : 0 };
    Object.keys(extra || {}).forEach(function (k) { msg[k] = extra[k]; });
    status(t("asking"));
    L.raw(msg);
  }
  function find(id) { for (var i = 0; i < draft.groups.length; i++) if (draft.groups[i].id === id) return draft.groups[i]; return null; }
  function takeCard(cardId) {
    var all = [draft.ungrouped].concat(draft.groups.map(function (g) { return g.cards; }));
    for (var i = 0; i < all.length; i++) {
      for (var j = 0; j < all[i].length; j++) if (all[i][j].id === cardId) return all[i].splice(j, 1)[0];
    }
    return null;
  }
  function tidy() { draft.groups = draft.groups.filter(function (g) { return g.cards.length > 0; }); }

  function render() {
    var p = panel(); if (!p) return;
    var open = !!draft && draft.slot === (live() && live().slot());
    ["[data-suggest-level='-1']", "[data-suggest-level='1']", "[data-suggest-accept-all]", "[data-suggest-close]"].forEach(function (s) {
      p.querySelector(s).hidden = !open;
    });
    var box = p.querySelector("[data-suggest-groups]");
    var loose = p.querySelector("[data-suggest-loose]"), dups = p.querySelector("[data-suggest-dups]");
    box.textContent = "";
    loose.hidden = dups.hidden = true;
    if (!open) return;
    p.querySelector("[data-suggest-level='-1']").disabled = draft.level <= draft.levels[0];
    p.querySelector("[data-suggest-level='1']").disabled = draft.level >= draft.levels[1];
    p.querySelector("[data-suggest-accept-all]").disabled = draft.groups.length === 0;
    function cardNode(card, groupId) {
      var li = tpl("card");
      li.dataset.sCard = card.id;
      li.querySelector("[data-s-text]").textContent = card.text;
      var sel = li.querySelector("[data-s-move]");
      sel.setAttribute("aria-label", t("move") + ": " + card.text);
      option(sel, "", t("none"));
      draft.groups.forEach(function (g) { option(sel, g.id, g.name); });
      sel.value = groupId || "";
      return li;
    }
    draft.groups.forEach(function (g) {
      var node = tpl("group");
      node.dataset.sGroup = g.id;
      var name = node.querySelector("[data-s-name]");
      name.value = g.name;
      node.querySelector("[data-s-conf]").textContent = t("confidence") + " " + Math.round(g.confidence * 100) + " %";
      var ul = node.querySelector("[data-s-cards]");
      g.cards.forEach(function (c) { ul.appendChild(cardNode(c, g.id)); });
      var merge = node.querySelector("[data-s-merge]");
      option(merge, "", t("merge") + "…");
      draft.groups.forEach(function (o) { if (o.id !== g.id) option(merge, o.id, o.name); });
      node.querySelector("[data-s-split]").disabled = g.cards.length < 4;
      box.appendChild(node);
    });
    var ll = p.querySelector("[data-suggest-loose-list]");
    ll.textContent = "";
    draft.ungrouped.forEach(function (c) { ll.appendChild(cardNode(c, null)); });
    loose.hidden = draft.ungrouped.length === 0;
    var dl = p.querySelector("[data-suggest-dup-list]");
    dl.textContent = "";
    draft.duplicates.forEach(function (d, i) {
      var li = tpl("dup");
      li.dataset.sDup = String(i);
      li.querySelector("[data-s-a]").textContent = d.texts[0];
      li.querySelector("[data-s-b]").textContent = d.n > 2 ? d.texts[1] + " (" + d.n + " " + t("identical") + ")" : d.texts[1];
      dl.appendChild(li);
    });
    dups.hidden = draft.duplicates.length === 0;
  }

  function accept(groups) {
    var L = live(); if (!L || !groups.length) return;
    L.send({ t: "moderate", slot: draft.slot, action: "groups_accept",
      data: { groups: groups.map(function (g) { return { name: g.name, cards: g.cards.map(function (c) { return c.id; }) }; }) } });
    var ids = groups.map(function (g) { return g.id; });
    draft.groups = draft.groups.filter(function (g) { return ids.indexOf(g.id) < 0; });
    status(t("accepted"));
    render();
  }

  document.addEventListener("polku:frame", function (e) {
    var m = e.detail;
    if (m.t === "suggestions") {
      if (m.split && pendingSplit && draft) {
        var at = draft.groups.indexOf(pendingSplit);
        var parts = m.groups.map(function (g) { g.id = "s" + (++counter); return g; });
        if (m.ungrouped.length) parts.push({ id: "s" + (++counter), name: pendingSplit.name, confidence: pendingSplit.confidence, cards: m.ungrouped });
        if (parts.length > 1 && at >= 0) draft.groups.splice.apply(draft.groups, [at, 1].concat(parts));
        pendingSplit = null;
      } else {
        draft = { slot: m.slot, level: m.level, levels: m.levels, groups: m.groups, ungrouped: m.ungrouped, duplicates: m.duplicates };
      }
      status(m.message || t("ready"));
      render();
    } else if (m.t === "error" && m.id && String(m.id).indexOf("sg-") === 0) {
      pendingSplit = null;
      status(m.message);
    } else if (m.t === "view") {
      setTimeout(render, 0);
    }
  });
  document.addEventListener("click", function (e) {
    var b = e.target.closest("button");
    if (!b || !b.closest("[data-suggest]")) return;
    var g = b.closest("[data-s-group]"), group = g && draft ? find(g.dataset.sGroup) : null;
    if (b.hasAttribute("data-suggest-ask")) { draft = null; ask({ level: 0 }); }
    else if (b.dataset.suggestLevel && draft) { draft.level += parseInt(b.dataset.suggestLevel, 10); ask({ level: draft.level }); }
    else if (b.hasAttribute("data-suggest-accept-all") && draft) accept(draft.groups.slice());
    else if (b.hasAttribute("data-suggest-close")) { draft = null; status(""); render(); }
    else if (b.hasAttribute("data-s-accept") && group) accept([group]);
    else if (b.hasAttribute("data-s-drop") && group) { draft.ungrouped = draft.ungrouped.concat(group.cards); group.cards = []; tidy(); render(); }
    else if (b.hasAttribute("data-s-split") && group) { pendingSplit = group; ask({ cards: group.cards.map(function (c) { return c.id; }), level: draft.level + 3 }); }
    else if (b.hasAttribute("data-s-merge-dup") && draft) {
      var d = draft.duplicates[parseInt(b.closest("[data-s-dup]").dataset.sDup, 10)];
      live().send({ t: "moderate", slot: draft.slot, action: "merge", data: { cards: d.cards } });
      d.cards.slice(1).forEach(function (id) { takeCard(id); });
      draft.duplicates = draft.duplicates.filter(function (x) { return x !== d && x.cards.every(function (id) { return d.cards.slice(1).indexOf(id) < 0; }); });
      tidy(); render();
    }
  });
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (!draft || !el.closest || !el.closest("[data-suggest]")) return;
    if (el.hasAttribute("data-s-move")) {
      var card = takeCard(el.closest("[data-s-card]").dataset.sCard);
      var to = el.value ? find(el.value) : null;
      if (card) (to ? to.cards : draft.ungrouped).push(card);
      tidy(); render();
    } else if (el.hasAttribute("data-s-merge") && el.value) {
      var from = find(el.closest("[data-s-group]").dataset.sGroup), into = find(el.value);
      if (from && into) { into.cards = into.cards.concat(from.cards); from.cards = []; }
      tidy(); render();
    }
  });
  document.addEventListener("input", function (e) {
    var el = e.target;
    if (!draft || !el.hasAttribute || !el.hasAttribute("data-s-name")) return;
    var group = find(el.closest("[data-s-group]").dataset.sGroup);
    if (group) group.name = el.value;
  });
})();
