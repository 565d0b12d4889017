/* Polku live client: one small vanilla script for phones, the projector and the console.
 * Protocol: docs/live-protocol.md. Binding of snapshots to activity views:
 * docs/new-activity.md ("Templates"). No framework, no build step. */
(function () {
  "use strict";
  var root = document.getElementById("live-root");
  if (!root) return;
  var D = root.dataset;
  var role = D.role || "phone";
  var T = {};
  Array.prototype.forEach.call(root.attributes, function (a) {
    if (a.name.indexOf("data-t-") === 0) T[a.name.slice(7)] = a.value;
  });
  var view = document.getElementById("live-view");
  var statusEl = document.getElementById("live-status");
  var connEl = document.getElementById("live-conn");
  var ctx = { data: {}, me: {}, activity: null, day: {}, connected: null };
  var viewSlot = null, meSlot = null;
  /* the screen pane of a participant's page: what the projector (or the group's own screen)
     shows, bound to its own snapshots ("pane": "screen") */
  var pane = document.getElementById("live-screen");
  var paneView = document.getElementById("live-screen-view");
  var paneCtx = { data: {}, me: {}, activity: null, day: {} };
  var wide = window.matchMedia ? window.matchMedia("(min-width: 64rem)") : { matches: false };
  var watching = null;
  /* half-typed text: per slot, per field (item ids + form + name), kept in localStorage until
     its save is acknowledged, so an activity switch, a reload or a reconnect loses nothing */
  var draftsKey = "polku-drafts-" + (D.code || "") + "-" + role;
  var drafts = load(draftsKey);
  var TEXTS = "input[type=text],textarea";
  var ws = null, attempts = 0, opened = false, es = null, timer = null;
  // ?transport=sse forces the fallback (for networks known to block websockets, and tests)
  var useSse = !!(D.sse && window.EventSource && /[?&]transport=sse\b/.test(location.search));
  var outboxKey = "polku-outbox-" + (D.code || "") + "-" + role;
  var outbox = load(outboxKey);
  var waiting = {}; // client id -> form element waiting for its ack
  var seq = 0;

  function load(k) { try { return JSON.parse(localStorage.getItem(k) || "{}"); } catch (e) { return {}; } }
  function save() { try { localStorage.setItem(outboxKey, JSON.stringify(outbox)); } catch (e) { /* private mode */ } }
  function saveDrafts() { try { localStorage.setItem(draftsKey, JSON.stringify(drafts)); } catch (e) { /* private mode */ } }
  function cid() { seq += 1; return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 8) + "-" + seq; }
  function get(path, scope) {
    var parts = path.split("."), v = scope;
    for (var i = 0; i < parts.length; i++) { if (v == null) return undefined; v = v[parts[i]]; }
    return v;
  }
  function say(text, bad) {
    if (!statusEl) return;
    statusEl.textContent = text || "";
    statusEl.className = "live-status" + (bad ? " live-status--error" : text ? " live-status--ok" : "");
  }
  function conn(state) {
    if (!connEl) return;
    connEl.textContent = T[state] || state;
    connEl.className = "live-conn live-conn--" + state;
  }

  /* ---- transport ------------------------------------------------------------------ */
  function wsUrl() {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + D.ws + (D.key ? "?k=" + encodeURIComponent(D.key) : "");
  }
  function connect() {
    if (useSse) return connectSse();
    conn("connecting");
    try { ws = new WebSocket(wsUrl()); } catch (e) { return retry(); }
    var thisWs = ws;
    ws.onopen = function () {
      opened = true; attempts = 0; conn("online");
      if (role === "phone") raw({ t: "join", v: 1, lang: document.documentElement.lang, token: tokenStored() });
    };
    ws.onmessage = function (e) { handle(JSON.parse(e.data)); };
    ws.onclose = function (e) {
      if (thisWs !== ws) return;
      ws = null; conn("offline");
      if (e.code === 4401 && role === "phone") {
        var had = tokenStored();
        try { localStorage.removeItem("polku-token-" + D.code); } catch (x) { /* */ }
        if (!had) { reloadOnce(); return; }  // a fresh page and handshake bring a new cookie
      }
      if (e.code === 4410) {  // "forget me": this token is gone; a reload joins anew
        try { localStorage.removeItem("polku-token-" + D.code); } catch (x) { /* */ }
        return;
      }
      if (e.code === 4404 || e.code === 4403) return;
      retry();
    };
  }
  function reloadOnce() {
    try { if (sessionStorage.getItem("polku-reloaded-" + D.code)) return; sessionStorage.setItem("polku-reloaded-" + D.code, "1"); } catch (x) { return; }
    location.reload();
  }
  /* Reconnect back-off with full jitter: the n-th retry waits a random time between 0.25 s and
   * min(30 s, 2.5 s × 2^n). When a server restarts or the hall's Wi-Fi comes back, thousands of
   * phones retry at once; spread over seconds they join like a normal arrival, not a flood. */
  function backoff(n) {
    var cap = Math.min(30000, 2500 * Math.pow(2, Math.min(n, 4)));
    return 250 + Math.random() * (cap - 250);
  }
  function retry() {
    attempts += 1;
    if (!opened && attempts >= 3 && role === "phone" && D.sse && window.EventSource) { useSse = true; }
    clearTimeout(timer); timer = setTimeout(connect, backoff(attempts - 1));
  }
  function connectSse() {
    conn("connecting");
    if (es) es.close();
    es = new EventSource(D.sse);
    es.onopen = function () { conn("online"); resend(); };
    es.onmessage = function (e) { if (e.data) handle(JSON.parse(e.data)); };
    es.onerror = function () { conn("offline"); };
  }
  function raw(msg) {
    if (useSse) {
      var body = JSON.stringify(msg);
      fetch(D.send, { method: "POST", body: body, credentials: "same-origin",
        headers: { "Content-Type": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (list) { list.forEach(handle); })
        .catch(function () { /* stays in the outbox; resent on reconnect */ });
      return true;
    }
    if (ws && ws.readyState === 1) { ws.send(JSON.stringify(msg)); return true; }
    return false;
  }
  function send(msg, form) {
    msg.id = cid();
    if (form) waiting[msg.id] = form;
    if (msg.t === "input" || msg.t === "control" || msg.t === "moderate" || msg.t === "group") { outbox[msg.id] = msg; save(); }
    if (!raw(msg)) say(T.queued || "…");
    return msg.id;
  }
  function resend() { Object.keys(outbox).forEach(function (k) { raw(outbox[k]); }); }
  function tokenStored() { try { return localStorage.getItem("polku-token-" + D.code) || undefined; } catch (e) { return undefined; } }

  /* ---- messages --------------------------------------------------------------------- */
  function handle(m) {
    // add-ons (e.g. grouping suggestions in the console) listen to every frame
    document.dispatchEvent(new CustomEvent("polku:frame", { detail: m }));
    switch (m.t) {
      case "token": try { localStorage.setItem("polku-token-" + D.code, m.token); } catch (e) { /* */ } break;
      case "welcome": ctx.me0 = m.me; profile(m.me); watching = null; watch(); resend(); break;
      case "view": if (m.pane === "screen") setPane(m); else setView(m); break;
      case "snapshot":
        if (m.pane === "screen") { paneCtx.data = m.data || {}; paneCtx.activity = m.activity; paneCtx.group = m.group; renderPane(); break; }
        ctx.data = m.data || {}; ctx.activity = m.activity; ctx.day = m.day || ctx.day;
        ctx.connected = m.connected; ctx.agenda = m.agenda; ctx.group = m.group; ctx.choices = m.choices;
        ctx.notice = m.notice; ctx.groups = m.groups; ctx.bridge_down = m.bridge_down;
        ctx.phones_title = m.phones_title; ctx.screen_title = m.screen_title; render();
        if (role !== "phone") renderPane(); break;
      case "me": if (m.slot === viewSlot) { ctx.me = m.data || {}; meSlot = m.slot; render(); } break;
      case "ack": ackedDraft(outbox[m.id], m.id); delete outbox[m.id]; save(); done(m.id, null); break;
      case "error":
        if (m.id && (m.code === "retry" || m.code === "rate")) { setTimeout(resend, 2000); return; }
        if (m.id) { delete outbox[m.id]; save(); }
        if (!m.id || !waiting[m.id]) say(m.message, true);
        done(m.id, m.message, m); break;
      case "pong": break;
    }
  }
  function done(id, error, m) {
    var form = waiting[id]; delete waiting[id];
    if (error) {
      say(error, true);
      if (form && m && m.code === "conflict" && m.data) conflict(form, m);
      return;
    }
    if (form && form.tagName === "FORM") {
      Array.prototype.forEach.call(form.querySelectorAll(TEXTS), function (el) { dropDraft(el); el.value = ""; });
      if (form.dataset.keepRadio === undefined) Array.prototype.forEach.call(form.querySelectorAll("input[type=radio]:checked"), function (el) { el.checked = false; });
      delete form.dataset.dirty;
      var box = form.querySelector("[data-conflict]"); if (box) box.hidden = true;
      saveDrafts();
      say(T.sent || "✓");
      render();
    } else if (form) { say(""); }
  }
  /* a save based on an older version of the field than the one saved meanwhile: show both
     texts; the held version becomes the saved one, so saving again is the writer's choice */
  function conflict(form, m) {
    var box = form.querySelector("[data-conflict]");
    var mine = form.querySelector(TEXTS);
    if (!box || !mine) return;
    Array.prototype.forEach.call(form.querySelectorAll("[data-hold]"), function (el) {
      var v = m.data[el.dataset.hold];
      if (v !== undefined) el.value = v == null ? "" : String(v);
    });
    form.dataset.dirty = "1";
    box.querySelector("[data-conflict-message]").textContent = m.message || "";
    box.querySelector("[data-conflict-saved]").textContent = m.data.saved || "";
    box.querySelector("[data-conflict-mine]").textContent = mine.value;
    box.hidden = false;
    keepDraft(mine);
  }
  function conflictChoice(button) {
    var form = button.closest("form"), box = button.closest("[data-conflict]");
    var mine = form && form.querySelector(TEXTS);
    if (!mine) return;
    var saved = box.querySelector("[data-conflict-saved]").textContent;
    if (button.dataset.conflictUse === "both") {
      mine.value = saved ? saved + " " + mine.value : mine.value;
      keepDraft(mine);
      mine.focus();
    } else {  // keep the saved text: drop mine
      mine.value = "";
      dropDraft(mine); saveDrafts();
      delete form.dataset.dirty;
      say("");
      render();
    }
    box.hidden = true;
  }
  function profile(me) {
    var f = document.getElementById("live-profile");
    if (!f || !me) return;
    askUnit(me);
    if (document.activeElement && f.contains(document.activeElement)) return;
    if (f.elements.name && !f.elements.name.value) f.elements.name.value = me.name || "";
    if (f.elements.unit && me.unit) f.elements.unit.value = String(me.unit);
    if (f.elements.attendance && me.attendance) f.elements.attendance.value = me.attendance;
  }
  /* "Which unit are you from?" when the path has units: asked openly, skippable (per day), and
     remembered on this phone for the path's other days only when the participant ticks it */
  var ask = document.getElementById("live-unit-ask");
  var unitKey = ask ? "polku-unit-path-" + ask.dataset.path : "";
  var skipKey = "polku-unit-skip-" + (D.code || "");
  function stored(k) { try { return localStorage.getItem(k); } catch (e) { return null; } }
  function store(k, v) { try { if (v == null) localStorage.removeItem(k); else localStorage.setItem(k, v); } catch (e) { /* private mode */ } }
  function sendProfile(unit) {
    var f = document.getElementById("live-profile");
    var p = formData(f, {});
    send({ t: "profile", name: p.name || (ctx.me0 && ctx.me0.name) || "", unit: unit, attendance: p.attendance || (ctx.me0 && ctx.me0.attendance) || undefined }, f);
  }
  function askUnit(me) {
    if (!ask) return;
    if (me.unit) { ask.hidden = true; return; }
    var remembered = stored(unitKey);
    var sel = ask.querySelector("select");
    if (remembered && sel.querySelector("option[value='" + remembered + "']")) {
      ask.hidden = true; sendProfile(parseInt(remembered, 10)); return;
    }
    ask.hidden = !!stored(skipKey);
  }
  if (ask) {
    ask.querySelector("form").addEventListener("submit", function (e) {
      e.preventDefault();
      var f = e.target, unit = f.elements.unit.value;
      if (!unit) return;
      store(unitKey, f.elements.remember.checked ? unit : null);
      var pf = document.getElementById("live-profile");
      if (pf.elements.unit) pf.elements.unit.value = unit;
      ask.hidden = true;
      sendProfile(parseInt(unit, 10));
    });
    ask.querySelector("[data-unit-skip]").addEventListener("click", function () {
      store(skipKey, "1"); ask.hidden = true;
    });
  }

  /* ---- views: keep half-typed text ---------------------------------------------------- */
  function draftKey(el) {
    var parts = [];
    for (var n = el.closest("[data-item-id]"); n; n = n.parentElement && n.parentElement.closest("[data-item-id]")) parts.unshift(n.dataset.itemId);
    var f = el.form, field = f && f.elements.field;
    var tag = f ? (f.dataset.send || f.dataset.mod || f.dataset.group || "") + ":" + (field && field.value || "") : "";
    return parts.join("/") + "|" + tag + "|" + el.name;
  }
  /* the form's held inputs (data-hold: the version the text was started from) go with it */
  function keepDraft(el) {
    if (viewSlot == null || !el.name) return;
    var d = drafts[viewSlot] = drafts[viewSlot] || {};
    if (!el.value) { delete d[draftKey(el)]; saveDrafts(); return; }
    var held = {};
    if (el.form) Array.prototype.forEach.call(el.form.querySelectorAll("[data-hold]"), function (h) { held[h.name] = h.value; });
    d[draftKey(el)] = { v: el.value, h: held };
    saveDrafts();
  }
  /* an input resent from the outbox after a reload has no form waiting for it: its ack still
     ends the draft that holds the same text */
  function ackedDraft(sent, id) {
    if (!sent || waiting[id] || sent.t !== "input" || !drafts[sent.slot]) return;
    var text = sent.data && (sent.data.value != null ? sent.data.value : sent.data.text);
    var d = drafts[sent.slot], gone = {};
    Object.keys(d).forEach(function (k) { if (d[k].v === text) { delete d[k]; gone[k] = 1; } });
    if (view && sent.slot === viewSlot) Array.prototype.forEach.call(view.querySelectorAll(TEXTS), function (el) {
      if (el.value === text && gone[draftKey(el)]) { el.value = ""; if (el.form) delete el.form.dataset.dirty; }
    });
    saveDrafts();
  }
  function dropDraft(el) { var d = drafts[viewSlot]; if (d) delete d[draftKey(el)]; }
  function restoreDrafts() {
    var d = viewSlot != null && drafts[viewSlot];
    if (!d || !view) return;
    Array.prototype.forEach.call(view.querySelectorAll(TEXTS), function (el) {
      if (el.value || el === document.activeElement || !el.name) return;
      var x = d[draftKey(el)];
      if (!x) return;
      el.value = x.v;
      var f = el.form;
      if (f) {
        Object.keys(x.h || {}).forEach(function (k) { if (f.elements[k]) f.elements[k].value = x.h[k]; });
        f.dataset.dirty = "1";
      }
      var det = el.closest("details"); if (det) det.open = true;
    });
  }
  /* typing marks the form: its held inputs keep the version it was started from */
  function typed(el) {
    var f = el.form;
    if (!f || !view || !view.contains(el)) return;
    var any = Array.prototype.some.call(f.querySelectorAll(TEXTS + ",input[type=number]"), function (x) { return x.value !== ""; });
    if (any) f.dataset.dirty = "1"; else delete f.dataset.dirty;
    if (el.matches(TEXTS)) keepDraft(el);
  }
  document.addEventListener("input", function (e) { if (e.target.form) typed(e.target); });
  function setView(m) {
    if (!view) return;
    var focused = document.activeElement;
    view.innerHTML = m.html;
    viewSlot = m.slot;
    if (meSlot !== m.slot) ctx.me = {};
    if (focused && focused !== document.body && !document.body.contains(focused)) view.focus();
    render();
  }

  function setPane(m) {
    if (!paneView) return;
    paneView.innerHTML = m.html;
    renderPane();
  }
  /* phones: the screen pane is shown beside the input on a wide page, or in its tab */
  function watch() {
    if (role !== "phone" || !pane) return;
    var on = wide.matches || document.documentElement.dataset.pane === "screen";
    if (on === watching) return;
    if (raw({ t: "watch", screen: on })) watching = on;
  }
  if (wide.addEventListener) wide.addEventListener("change", watch);

  /* ---- binding ------------------------------------------------------------------------ */
  function render() {
    if (!view) return;
    bind(document, ctx);
    var a = ctx.activity;
    document.documentElement.dataset.status = a ? a.status : "none";
    document.documentElement.dataset.revealed = a && a.revealed ? "1" : "0";
    document.documentElement.dataset.grouped = ctx.group ? "1" : "0";
    restoreDrafts();
    tickTimer();
  }
  function renderPane() {
    if (pane && role === "phone") { bind(pane, paneCtx); tickTimer(); }
  }
  function bind(scope, c) {
    each(scope, "[data-bind]", function (el) {
      var v = get(el.dataset.bind, c);
      var s = v == null ? "" : String(v);
      if (el.textContent !== s) el.textContent = s;
    });
    each(scope, "[data-bind-mine]", function (el) {
      var map = get(el.dataset.bindMine, c) || {};
      var s = String(map[c.item && c.item.id] || 0);
      if (el.textContent !== s) el.textContent = s;
    });
    each(scope, "[data-pressed]", function (el) {
      var map = get(el.dataset.pressed, c) || {};
      el.setAttribute("aria-pressed", String(map[c.item && c.item.id] === el.dataset.pressedValue));
    });
    each(scope, "[data-show]", function (el) { el.hidden = !truthy(get(el.dataset.show, c)); });
    each(scope, "[data-hide]", function (el) { el.hidden = truthy(get(el.dataset.hide, c)); });
    each(scope, "[data-hide-same]", function (el) {  // "a|b": hidden also while a equals b
      var p = el.dataset.hideSame.split("|"), a = get(p[0], c), b = get(p[1], c);
      var same = a != null && b != null && String(a) === String(b);
      el.hidden = (el.dataset.hide !== undefined && el.hidden) || same;
    });
    each(scope, "[data-width]", function (el) { el.style.width = Math.max(0, Math.min(100, +get(el.dataset.width, c) || 0)) + "%"; });
    each(scope, "[data-attr]", function (el) {
      if (el.dataset.hold !== undefined && el.form && el.form.dataset.dirty) return;
      el.dataset.attr.split(";").forEach(function (pair) {
        var i = pair.indexOf(":"), v = get(pair.slice(i + 1), c);
        if (v == null || v === false) el.removeAttribute(pair.slice(0, i)); else el.setAttribute(pair.slice(0, i), v === true ? "" : String(v));
      });
    });
    each(scope, "[data-list]", function (el) { list(el, c); });
    each(scope, "[data-options]", function (el) { options(el, c); });
  }
  function truthy(v) { return Array.isArray(v) ? v.length > 0 : !!v; }
  function each(scope, sel, fn) {
    // only elements owned by this scope (the document, a pane, or one list item), not nested ones
    var isItem = scope.nodeType !== 9;
    Array.prototype.forEach.call(scope.querySelectorAll(sel), function (el) {
      if (el.dataset.itemId !== undefined) return;
      var owner = el.parentElement ? el.parentElement.closest("[data-item-id],[data-scope]") : null;
      if (isItem ? owner === scope : owner === null) fn(el);
    });
  }
  function list(el, c) {
    var tpl = el.querySelector(":scope > template");
    if (!tpl) return;
    var items = get(el.dataset.list, c) || [];
    var existing = {};
    Array.prototype.forEach.call(el.querySelectorAll(":scope > [data-item-id]"), function (n) { existing[n.dataset.itemId] = n; });
    var prev = tpl;
    items.forEach(function (item, i) {
      var id = String(item.id != null ? item.id : "i" + i); // rows are keyed by id
      var node = existing[id];
      if (node) { delete existing[id]; } else {
        node = tpl.content.firstElementChild.cloneNode(true);
        node.dataset.itemId = id;
        if (item.open === true && node.tagName === "DETAILS") node.open = true; // starts open
      }
      if (prev.nextElementSibling !== node) prev.after(node);
      prev = node;
      var sub = Object.create(c); sub.item = item;
      if (node.hasAttribute("data-scope")) sub.data = item.data || {}; // a group's own view
      bind(node, sub);
      bindSelf(node, sub);
    });
    Object.keys(existing).forEach(function (k) { existing[k].remove(); });
  }
  function bindSelf(node, c) {
    ["bind", "show", "hide"].forEach(function (k) {
      if (node.dataset[k] === undefined) return;
      var v = get(node.dataset[k], c);
      if (k === "bind") node.textContent = v == null ? "" : String(v);
      else node.hidden = k === "show" ? !truthy(v) : truthy(v);
    });
  }
  function options(sel, c) {
    if (document.activeElement === sel) return;
    var items = get(sel.dataset.options, c) || [];
    var value = sel.dataset.value ? get(sel.dataset.value, c) : sel.value;
    var keep = sel.querySelectorAll("option[data-fixed]").length;
    while (sel.options.length > keep) sel.remove(keep);
    items.forEach(function (o) { var op = document.createElement("option"); op.value = o.id; op.textContent = o.name; sel.appendChild(op); });
    sel.value = value == null ? "" : String(value);
  }

  /* ---- actions ------------------------------------------------------------------------ */
  function argsOf(el) {
    var data = {};
    var item = el.closest("[data-item-id]");
    if (item) data[el.dataset.itemKey || "item"] = item.dataset.itemId;
    Object.keys(el.dataset).forEach(function (k) {
      if (k.indexOf("arg") === 0 && k.length > 3) {
        var name = k.charAt(3).toLowerCase() + k.slice(4), v = el.dataset[k];
        data[name] = /^-?\d+$/.test(v) ? parseInt(v, 10) : v === "null" ? null : v;
      }
    });
    return data;
  }
  function formData(form, data) {
    Array.prototype.forEach.call(form.elements, function (f) {
      if (!f.name || f.disabled || ((f.type === "radio" || f.type === "checkbox") && !f.checked)) return;
      var v = f.value;
      if (f.type === "number" || f.type === "range" || f.dataset.int !== undefined) v = v === "" ? null : parseInt(v, 10);
      if (f.type === "checkbox" && f.dataset.many !== undefined) { (data[f.name] = data[f.name] || []).push(v); return; }
      data[f.name] = v;
    });
    return data;
  }
  function action(el, data) {
    var slot = ctx.activity ? ctx.activity.slot : null;
    if (role === "console" && viewSlot != null) slot = viewSlot;
    if (el.dataset.confirm && !window.confirm(el.dataset.confirm)) return;
    if (el.dataset.ask !== undefined) {
      var field = el.dataset.askField || "text";
      var current = el.dataset.askFrom ? (el.closest("[data-item-id]") || document).querySelector(el.dataset.askFrom) : null;
      var answer = window.prompt(el.dataset.ask, current ? current.textContent : "");
      if (answer === null) return;
      data[field] = answer;
    }
    if (el.dataset.collect) {
      data.cards = Array.prototype.map.call(document.querySelectorAll("input[name='" + el.dataset.collect + "']:checked"), function (c) { return c.value; });
    }
    if (el.dataset.group) { send({ t: "group", slot: slot, action: el.dataset.group, data: data }, el); return; }
    if (el.dataset.send) send({ t: "input", slot: slot, kind: el.dataset.send, data: data }, el);
    else if (el.dataset.mod) send({ t: "moderate", slot: slot, action: el.dataset.mod, data: data }, el);
    else if (el.dataset.control) {
      var s = el.dataset.slot ? parseInt(el.dataset.slot, 10) : slot;
      if (el.closest("[data-item-id]") && el.dataset.slot === undefined) s = parseInt(el.closest("[data-item-id]").dataset.itemId, 10);
      send({ t: "control", slot: s, action: el.dataset.control, data: data }, el);
    }
  }
  document.addEventListener("submit", function (e) {
    var f = e.target;
    if (f.id === "live-profile") {
      e.preventDefault();
      var p = formData(f, {});
      send({ t: "profile", name: p.name || "", unit: p.unit ? parseInt(p.unit, 10) : null,
             attendance: p.attendance || null }, f);
      return;
    }
    if (!(f.dataset.send || f.dataset.mod || f.dataset.control || f.dataset.group)) return;
    e.preventDefault();
    action(f, formData(f, argsOf(f)));
  });
  document.addEventListener("click", function (e) {
    if (e.target.closest("[data-fullscreen]") && document.documentElement.requestFullscreen) {
      document.documentElement.requestFullscreen().catch(function () { /* not allowed */ });
      return;
    }
    var sel = e.target.closest("button[data-select]");
    if (sel) { var it = sel.closest("[data-item-id]"); raw({ t: "select", slot: parseInt(it.dataset.itemId, 10) }); return; }
    var use = e.target.closest("button[data-conflict-use]");
    if (use) { conflictChoice(use); return; }
    var tab = e.target.closest("[data-pane-tab]");
    if (tab) { showPane(tab.dataset.paneTab); return; }
    var b = e.target.closest("button[data-send],button[data-mod],button[data-control],button[data-group]");
    if (!b || b.form && (b.form.dataset.send || b.form.dataset.mod || b.form.dataset.control || b.form.dataset.group) && b.type === "submit") return;
    e.preventDefault();
    var data = argsOf(b);
    if (b.dataset.timerFrom) { var inp = document.getElementById(b.dataset.timerFrom); data.seconds = Math.round((parseFloat(inp && inp.value) || 0) * 60); }
    action(b, data);
  });
  document.addEventListener("change", function (e) {
    var s = e.target;
    if (s.tagName !== "SELECT" || !(s.dataset.mod || s.dataset.send || s.dataset.group)) return;
    var data = argsOf(s);
    data[s.dataset.field || "value"] = s.value === "" ? null : s.value;
    action(s, data);
  });
  /* drag and drop between groups (console); the select next to each card is the keyboard way */
  document.addEventListener("dragstart", function (e) {
    var card = e.target.closest && e.target.closest("[data-item-id][draggable]");
    if (card) e.dataTransfer.setData("text/plain", card.dataset.itemId);
  });
  document.addEventListener("dragover", function (e) { if (e.target.closest && e.target.closest("[data-drop]")) e.preventDefault(); });
  document.addEventListener("drop", function (e) {
    var zone = e.target.closest && e.target.closest("[data-drop]");
    if (!zone) return;
    e.preventDefault();
    var id = e.dataTransfer.getData("text/plain");
    var theme = zone.dataset.drop === "none" ? null : zone.dataset.drop || (zone.closest("[data-item-id]") || {}).dataset.itemId;
    send({ t: "moderate", slot: viewSlot, action: "group", data: { card: id, theme: theme || null } }, zone);
  });

  function showPane(name) {
    document.documentElement.dataset.pane = name;
    Array.prototype.forEach.call(document.querySelectorAll("[data-pane-tab]"), function (t) {
      t.setAttribute("aria-selected", String(t.dataset.paneTab === name));
    });
    watch();
  }

  /* ---- timer ------------------------------------------------------------------------- */
  /* data-timer counts down to activity.timer_end, or to the path it names (data-timer="data.turn_end") */
  var timerEl = null;
  function tickTimer() {
    var els = document.querySelectorAll("[data-timer]");
    var running = false;
    Array.prototype.forEach.call(els, function (el) {
      var c = pane && pane.contains(el) && role === "phone" ? paneCtx : ctx;
      var end = el.dataset.timer ? get(el.dataset.timer, c) : c.activity && c.activity.timer_end;
      if (!end) { el.hidden = true; return; }
      running = true;
      var left = Math.max(0, Math.round(end - Date.now() / 1000));
      el.hidden = false;
      el.textContent = Math.floor(left / 60) + ":" + ("0" + (left % 60)).slice(-2);
    });
    if (running && !timerEl) timerEl = setInterval(tickTimer, 1000);
    if (!running && timerEl) { clearInterval(timerEl); timerEl = null; }
  }

  /* for add-ons: send a frame (inputs/moderation go through the outbox), read the slot in view */
  window.PolkuLive = { send: function (msg) { return send(msg, null); }, raw: raw, slot: function () { return viewSlot; } };

  setInterval(function () { if (ws && ws.readyState === 1) ws.send('{"t":"ping"}'); }, 25000);
  window.addEventListener("online", function () {
    if (!ws && !useSse) { attempts = 0; clearTimeout(timer); timer = setTimeout(connect, backoff(0)); }
  });
  connect();
})();
