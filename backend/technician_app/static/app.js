/* Gridwork technician app (H5). Only the public mobile API and the /technician socket.
 * Views by hash: #/login, #/home, #/orders/<id> (#/order/<id> too), #/points, and the views the
 * other scripts add through `gw.addView` (money.js: #/earnings, #/records; push.js: #/settings;
 * register.js: #/register, #/profile). `window.gridworkApp` exposes the state for the browser
 * tests; `window.gw` the helpers the other scripts share. */
(function () {
  "use strict";
  const { t, setLang, getLang } = window.gwI18n;
  const API = "/api/mobile/v1";
  const FLUSH_EVERY_MS = 10000;
  const FLUSH_AT = 5; // fixes per batch before an early flush
  const view = document.getElementById("view");
  const app = {
    token: localStorage.getItem("gw_token"),
    me: null,
    socket: null,
    onShift: localStorage.getItem("gw_on_shift") === "1",
    watchId: null,
    fixes: JSON.parse(localStorage.getItem("gw_fixes") || "[]"),
    lastFix: null,
    seq: 0,
    rendered: null, // the view shown last (tests wait on it)
  };
  window.gridworkApp = app;
  const views = []; // [{pattern, render(match)}] added by the other scripts
  const onSignIn = []; // called after sign-in and on every start with a token
  const onSignOut = []; // called (awaited) before the token is dropped

  // --- helpers ------------------------------------------------------------------------------

  function esc(value) {
    return String(value == null ? "" : value).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }

  function toast(text) {
    const box = document.getElementById("toast");
    box.textContent = text;
    box.classList.add("show");
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => box.classList.remove("show"), 3500);
  }

  async function api(path, opts = {}) {
    const headers = {};
    if (app.token) headers.Authorization = "Bearer " + app.token;
    let body = opts.body;
    if (body !== undefined && !(body instanceof FormData)) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(body);
    }
    const response = await fetch(API + path, { method: opts.method || "GET", headers, body });
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (response.status === 401 && path !== "/auth/login") {
      signOut(true);
    }
    if (!response.ok) {
      const error = new Error((data && data.detail) || response.statusText);
      error.status = response.status;
      error.problem = data || {};
      throw error;
    }
    return data;
  }

  function statusText(status) { return t("status_" + status); }

  function orderCard(order, actions) {
    const urgent = order.priority === "urgent" ? `<span class="tag urgent">${t("priority_urgent")}</span>` : "";
    const distance = order.distance_m != null ? ` · ${t("distance", { km: (order.distance_m / 1000).toFixed(1) })}` : "";
    return `<div class="card" data-order-id="${order.id}">
      <div>${urgent}<span class="tag">${esc(statusText(order.status))}</span><b>#${order.id}</b> ${esc(order.work_type)}</div>
      <div class="meta">${esc(order.description || "")}${distance}</div>
      <div class="row">${actions}</div></div>`;
  }

  // --- sign in ------------------------------------------------------------------------------

  function renderLogin() {
    view.innerHTML = `<section><h2>${t("sign_in")}</h2>
      <label for="phone">${t("phone")}</label><input id="phone" type="tel" autocomplete="username">
      <label for="password">${t("password")}</label><input id="password" type="password" autocomplete="current-password">
      <p id="login-error" class="error"></p>
      <button id="signin-button" class="primary" type="button">${t("sign_in")}</button>
      <p class="muted"><a id="register-link" href="#/register">${t("register_link")}</a></p></section>`;
    document.getElementById("signin-button").onclick = async () => {
      try {
        const tokens = await api("/auth/login", {
          method: "POST",
          body: { phone: document.getElementById("phone").value, password: document.getElementById("password").value },
        });
        signedIn(tokens.access_token);
        await start();
        // A deep link (e.g. from a notification) opened before signing in is shown now.
        if (!location.hash || /^#\/(login|register)/.test(location.hash)) location.hash = "#/home";
        else route();
      } catch (error) {
        document.getElementById("login-error").textContent = error.status === 401 ? t("wrong_login") : t("error", { detail: error.message });
      }
    };
  }

  // `expired`: the server refused the token already, so the sign-out hooks cannot call the API.
  async function signOut(expired) {
    if (!app.token) return;
    if (!expired) for (const hook of onSignOut) await Promise.resolve().then(hook).catch(() => null);
    stopTracking();
    if (app.socket) app.socket.disconnect();
    app.socket = null;
    app.token = null;
    app.me = null;
    localStorage.removeItem("gw_token");
    location.hash = "#/login";
  }

  // --- socket: live offers and the position stream -------------------------------------------

  function connect() {
    if (app.socket || !window.io) return;
    app.socket = window.io("/technician", { auth: { token: app.token }, transports: ["websocket"] });
    const dot = document.getElementById("conn");
    app.socket.on("connect", () => { dot.classList.add("on"); flushFixes(); });
    app.socket.on("disconnect", () => dot.classList.remove("on"));
    app.socket.on("offer", () => { toast(t("new_offer")); refresh(); });
    app.socket.on("assignment", () => { toast(t("new_assignment")); refresh(); });
    app.socket.on("cancellation", () => { toast(t("cancelled")); refresh(); });
  }

  function refresh() {
    if ((location.hash || "").startsWith("#/home")) renderHome();
  }

  function startTracking() {
    if (app.watchId != null || !navigator.geolocation) return;
    app.watchId = navigator.geolocation.watchPosition(
      (pos) => {
        app.lastFix = pos;
        app.fixes.push({
          id: `h5-${Date.now()}-${app.seq++}`,
          time: pos.timestamp / 1000,
          lon: pos.coords.longitude,
          lat: pos.coords.latitude,
          accuracy: pos.coords.accuracy,
          speed: pos.coords.speed,
          heading: pos.coords.heading,
          coord_sys: "wgs84",
        });
        saveFixes();
        if (app.fixes.length >= FLUSH_AT) flushFixes();
      },
      (error) => toast(t("geo_denied", { message: error.message })),
      { enableHighAccuracy: true, maximumAge: 5000 }
    );
    app.flushTimer = setInterval(flushFixes, FLUSH_EVERY_MS);
  }

  function stopTracking() {
    if (app.watchId != null) navigator.geolocation.clearWatch(app.watchId);
    clearInterval(app.flushTimer);
    app.watchId = null;
  }

  function saveFixes() { localStorage.setItem("gw_fixes", JSON.stringify(app.fixes.slice(-1000))); }

  // Send the waiting fixes; they stay queued (and go again after a reconnect) until acknowledged.
  function flushFixes() {
    if (!app.fixes.length || app.flushing) return;
    const batch = app.fixes.slice(0, 500);
    const settle = (ack) => {
      app.flushing = false;
      if (!ack || ack.error) return;
      const done = new Set([...(ack.accepted || []), ...(ack.rejected || []).map((r) => r.id)]);
      app.fixes = app.fixes.filter((f) => !done.has(f.id));
      saveFixes();
    };
    app.flushing = true;
    if (app.socket && app.socket.connected) {
      app.socket.timeout(10000).emit("location", { fixes: batch }, (err, ack) => settle(err ? null : ack));
    } else {
      api("/locations", { method: "POST", body: { fixes: batch } }).then(settle, () => settle(null));
    }
  }

  // --- shift --------------------------------------------------------------------------------

  function askConsent() {
    const dialog = document.getElementById("consent");
    return new Promise((resolve) => {
      document.getElementById("consent-yes").onclick = () => { dialog.close(); resolve(true); };
      document.getElementById("consent-no").onclick = () => { dialog.close(); resolve(false); };
      dialog.showModal();
    });
  }

  async function toggleShift() {
    if (app.onShift) {
      await api("/me/status", { method: "PUT", body: { status: "off_shift" } });
      flushFixes();
      stopTracking();
      app.onShift = false;
    } else {
      const consent = await api("/me/location-consent");
      if (!consent.granted) {
        if (!(await askConsent())) { toast(t("consent_needed")); return; }
        await api("/me/location-consent", { method: "PUT", body: { device: navigator.userAgent.slice(0, 200) } });
      }
      await api("/me/status", { method: "PUT", body: { status: "on_shift" } });
      app.onShift = true;
      startTracking();
    }
    localStorage.setItem("gw_on_shift", app.onShift ? "1" : "0");
    renderHome();
  }

  // --- home: shift, offers, feed, my orders ----------------------------------------------------

  async function renderHome() {
    const here = app.lastFix ? `?lon=${app.lastFix.coords.longitude}&lat=${app.lastFix.coords.latitude}` : "";
    const [offers, feed, mine] = await Promise.all([api("/offers"), api("/orders" + here), api("/me/orders")]);
    const offerCards = offers.items.filter((o) => o.order).map((o) => {
      const actions = o.mode === "grab"
        ? `<button class="primary claim" data-id="${o.order_id}">${t("claim")}</button>`
        : `<button class="primary accept" data-id="${o.order_id}">${t("accept")}</button><button class="decline" data-id="${o.order_id}">${t("decline")}</button>`;
      return orderCard(o.order, actions + `<button class="open" data-id="${o.order_id}">${t("open")}</button>`);
    });
    const offered = new Set(offers.items.map((o) => o.order_id));
    const feedCards = feed.items.filter((o) => !offered.has(o.id)).map((o) => orderCard(o, `<button class="claim" data-id="${o.id}">${t("claim")}</button><button class="open" data-id="${o.id}">${t("open")}</button>`));
    const mineCards = mine.items.map((o) => orderCard(o, `<button class="primary open" data-id="${o.id}">${t("open")}</button>`));
    const none = `<p class="muted">${t("none")}</p>`;
    const unfinished = app.me && app.me.status !== "approved"
      ? `<section id="onboarding-banner">${t("finish_profile")} <a href="#/profile">${t("profile_" + app.me.status)}</a></section>` : "";
    view.innerHTML = `${tabs("home")}${unfinished}
      <section><h2>${t("shift")}: <span id="shift-state">${app.onShift ? t("on_shift") : t("off_shift")}</span></h2>
        <button id="shift-toggle" class="${app.onShift ? "" : "primary"}" type="button">${app.onShift ? t("go_off_shift") : t("go_on_shift")}</button>
        <p class="muted" id="queued">${app.fixes.length ? t("queued_fixes", { n: app.fixes.length }) : ""}</p></section>
      <section id="offers"><h2>${t("offers")}</h2>${offerCards.join("") || none}</section>
      <section id="mine"><h2>${t("my_orders")}</h2>${mineCards.join("") || none}</section>
      <section id="feed"><h2>${t("feed")}</h2>${feedCards.join("") || none}</section>`;
    document.getElementById("shift-toggle").onclick = () => toggleShift().catch((e) => toast(t("error", { detail: e.message })));
    bindOrderButtons();
    app.rendered = "home";
  }

  const TABS = [["home", "tab_orders"], ["points", "points"], ["earnings", "earnings"], ["records", "records"], ["settings", "tab_me"]];
  function tabs(active) {
    return `<nav class="tabs">${TABS.map(([name, label]) => `<a href="#/${name}" class="${active === name ? "active" : ""}">${t(label)}</a>`).join("")}</nav>`;
  }

  function bindOrderButtons() {
    const on = (cls, fn) => view.querySelectorAll("button." + cls).forEach((b) => { b.onclick = () => fn(Number(b.dataset.id)); });
    on("open", (id) => { location.hash = `#/orders/${id}`; });
    on("claim", (id) => act(id, "claim", t("claimed")));
    on("accept", (id) => act(id, "accept", t("claimed")));
    on("decline", (id) => act(id, "decline", null, true));
  }

  async function act(orderId, action, okText, stay) {
    try {
      await api(`/orders/${orderId}/${action}`, { method: "POST", body: {} });
      if (okText) toast(okText);
      if (stay) refresh(); else location.hash = `#/orders/${orderId}`;
      if ((location.hash || "") === `#/orders/${orderId}`) renderOrder(orderId);
    } catch (error) {
      toast(error.status === 409 && action === "claim" ? t("taken") : t("error", { detail: error.message }));
      refresh();
    }
  }

  // --- one order --------------------------------------------------------------------------------

  async function renderOrder(orderId) {
    const order = await api(`/orders/${orderId}`);
    const mine = app.me && order.technician_id === app.me.id;
    const nav = await api(`/orders/${orderId}/navigation`).catch(() => null);
    const next = new Set(order.allowed_transitions || []);
    let actions = "";
    if (!mine && (order.status === "offered" || order.status === "published")) actions += `<button id="claim-button" class="primary claim" data-id="${order.id}">${t("claim")}</button>`;
    if (mine && order.status === "assigned") actions += `<button class="primary accept" data-id="${order.id}">${t("accept")}</button><button class="decline" data-id="${order.id}">${t("decline")}</button>`;
    if (mine && next.has("en_route")) actions += `<button id="en-route-button" data-id="${order.id}">${t("en_route")}</button>`;
    if (mine && next.has("on_site")) actions += `<button id="check-in-button" class="primary" data-id="${order.id}">${t("check_in")}</button>`;
    if (mine && order.kind === "checkin" && order.status === "on_site") actions += `<button id="check-out-button" class="primary">${t("check_out")}</button>`;
    const navLinks = nav ? `<div class="row"><a id="nav-amap" href="${esc(nav.amap_web)}">${t("amap")}</a><a id="nav-baidu" href="${esc(nav.baidu_app)}">${t("baidu")}</a></div>` : "";
    const deliverForm = mine && order.status === "on_site" && order.kind !== "checkin" ? deliverSection() : "";
    const pts = order.points && order.points.points != null ? `<section><h2>${t("points_total", { points: esc(order.points.points) })}</h2>${breakdown(order.points.breakdown)}</section>` : "";
    view.innerHTML = `<nav class="tabs"><a href="#/home">${t("back")}</a></nav>
      <section><h2>#${order.id} ${esc(order.work_type)}</h2>
        <div><span class="tag">${esc(statusText(order.status))}</span>${order.priority === "urgent" ? `<span class="tag urgent">${t("priority_urgent")}</span>` : ""}</div>
        <p id="order-status" data-status="${esc(order.status)}" class="muted">${t("status")}: ${esc(statusText(order.status))}</p>
        <p>${esc(order.description || "")}</p>
        <h3>${t("navigate")}</h3>${navLinks}
        <div class="row">${actions}</div><p id="checkin-error" class="error"></p></section>
      ${deliverForm}${pts}<div id="hints"></div>`;
    bindOrderButtons();
    const enRoute = document.getElementById("en-route-button");
    if (enRoute) enRoute.onclick = () => act(order.id, "en-route", null);
    const checkIn = document.getElementById("check-in-button");
    if (checkIn) checkIn.onclick = () => onSite(order.id, "check-in");
    const checkOut = document.getElementById("check-out-button");
    if (checkOut) checkOut.onclick = () => onSite(order.id, "check-out");
    const deliver = document.getElementById("deliver-button");
    if (deliver) deliver.onclick = () => submitDelivery(order.id);
    if (mine) renderHints(order.id);
    app.rendered = "order:" + order.id + ":" + order.status;
  }

  function breakdown(data) {
    if (!data) return "";
    const rows = Object.entries(data).map(([k, v]) => `<li>${esc(k)}: ${esc(typeof v === "object" ? JSON.stringify(v) : v)}</li>`);
    return `<h3>${t("breakdown")}</h3><ul class="breakdown">${rows.join("")}</ul>`;
  }

  function deliverSection() {
    return `<section id="deliver"><h2>${t("deliver")}</h2>
      <label for="photos">${t("photos")}</label><input id="photos" type="file" accept="image/*" capture="environment" multiple>
      <label for="notes">${t("notes")}</label><textarea id="notes"></textarea>
      <label for="readings">${t("readings")}</label><textarea id="readings" placeholder="loss_db=0.3"></textarea>
      <p id="deliver-error" class="error"></p>
      <button id="deliver-button" class="primary" type="button">${t("deliver")}</button></section>`;
  }

  // On shift the watch keeps a fresh fix; a fix up to FRESH_MS old stands for "here". (Asking
  // for a brand-new one while a watch runs can stall until the phone moves.)
  const FRESH_MS = 30000;
  function currentPosition() {
    if (app.lastFix && Date.now() - app.lastFix.timestamp < FRESH_MS) return Promise.resolve(app.lastFix);
    return new Promise((resolve, reject) => {
      if (!navigator.geolocation) { reject(new Error("geolocation unavailable")); return; }
      navigator.geolocation.getCurrentPosition(resolve, reject, { enableHighAccuracy: true, timeout: 15000, maximumAge: FRESH_MS });
    });
  }

  async function onSite(orderId, action) {
    const out = document.getElementById("checkin-error");
    out.textContent = t("locating");
    let pos;
    try {
      pos = await currentPosition();
    } catch (error) {
      out.textContent = t("geo_denied", { message: error.message });
      return;
    }
    try {
      await api(`/orders/${orderId}/${action}`, {
        method: "POST",
        body: { location: [pos.coords.longitude, pos.coords.latitude], accuracy_m: pos.coords.accuracy, coord_sys: "wgs84" },
      });
      renderOrder(orderId);
    } catch (error) {
      const p = error.problem || {};
      out.textContent = p.distance_m != null
        ? t("too_far", { distance: Math.round(p.distance_m), radius: p.radius_m })
        : t("error", { detail: error.message });
    }
  }

  function parseReadings(text) {
    const readings = {};
    text.split("\n").map((l) => l.trim()).filter(Boolean).forEach((line) => {
      const [name, ...rest] = line.split("=");
      const raw = rest.join("=").trim();
      readings[name.trim()] = raw !== "" && !isNaN(Number(raw)) ? Number(raw) : raw;
    });
    return Object.keys(readings).length ? readings : null;
  }

  async function submitDelivery(orderId) {
    const button = document.getElementById("deliver-button");
    const out = document.getElementById("deliver-error");
    button.disabled = true;
    try {
      const evidence = [];
      for (const file of document.getElementById("photos").files) {
        const form = new FormData();
        form.append("file", file);
        evidence.push((await api(`/orders/${orderId}/evidence`, { method: "POST", body: form })).sha256);
      }
      const notes = document.getElementById("notes").value.trim() || null;
      const readings = parseReadings(document.getElementById("readings").value);
      await api(`/orders/${orderId}/deliver`, { method: "POST", body: { evidence, notes, readings } });
      toast(t("delivered"));
      renderOrder(orderId);
    } catch (error) {
      out.textContent = t("error", { detail: error.message });
      button.disabled = false;
    }
  }

  async function renderHints(orderId) {
    const box = document.getElementById("hints");
    const data = await api(`/orders/${orderId}/hints`).catch(() => null);
    if (!data || !box) return;
    const h = data.hint;
    const list = (items, fmt) => `<ul>${items.map((i) => `<li>${fmt(i)}</li>`).join("")}</ul>`;
    const hint = h
      ? `<h3>${t("procedure")}</h3><ol>${h.procedure.map((s) => `<li>${esc(s.text)}</li>`).join("")}</ol>
         ${h.tools.length ? `<h3>${t("tools")}</h3>${list(h.tools, esc)}` : ""}
         ${h.spare_parts.length ? `<h3>${t("spare_parts")}</h3>${list(h.spare_parts, (p) => `${esc(p.name)} × ${esc(p.quantity)}`)}` : ""}
         ${h.safety_notes.length ? `<h3>${t("safety")}</h3>${list(h.safety_notes, esc)}` : ""}`
      : `<p class="muted">${t("no_hint")}</p>`;
    const visits = data.site_history.map((v) => `<div class="card"><div class="meta">${t("by", { name: esc(v.technician), date: esc((v.delivered_at || "").slice(0, 10)) })} · #${v.order_id}</div>
        <div>${esc(v.notes || "")}</div><div class="meta">${esc(Object.entries(v.readings || {}).map(([k, x]) => `${k}=${x}`).join(", "))}</div>
        <div class="thumbs" data-order="${v.order_id}"></div></div>`);
    box.innerHTML = `<section id="hint"><h2>${t("hint")}</h2>${hint}</section>
      <section id="history"><h2>${t("history")}</h2>${visits.join("") || `<p class="muted">${t("none")}</p>`}</section>`;
    // Thumbnails need the bearer token: fetch them and show them as object URLs.
    data.site_history.forEach((v) => v.evidence.forEach(async (e) => {
      const response = await fetch(e.thumbnail_url, { headers: { Authorization: "Bearer " + app.token } });
      if (!response.ok) return;
      const img = document.createElement("img");
      img.src = URL.createObjectURL(await response.blob());
      img.alt = "";
      box.querySelector(`.thumbs[data-order="${v.order_id}"]`).appendChild(img);
    }));
  }

  // --- points --------------------------------------------------------------------------------------

  async function renderPoints() {
    const page = await api("/me/points");
    const cards = page.items.map((o) => `<div class="card" data-order-id="${o.id}"><b>#${o.id}</b> ${esc(o.work_type)}
      <div>${t("points_total", { points: esc(o.points && o.points.points) })}</div>${breakdown(o.points && o.points.breakdown)}</div>`);
    view.innerHTML = `${tabs("points")}<section><h2>${t("points")}</h2>${cards.join("") || `<p class="muted">${t("none")}</p>`}</section>`;
    bindOrderButtons();
    app.rendered = "points";
  }

  // --- start ---------------------------------------------------------------------------------------

  async function start() {
    app.me = await api("/me");
    connect();
    if (app.onShift) startTracking();
    onSignIn.forEach((hook) => Promise.resolve().then(hook).catch((e) => toast(t("error", { detail: e.message }))));
  }

  function applyStaticText() {
    document.documentElement.lang = getLang() === "zh" ? "zh-CN" : "en";
    document.querySelectorAll("[data-i18n]").forEach((node) => { node.textContent = t(node.dataset.i18n); });
    document.getElementById("lang").textContent = getLang() === "zh" ? "EN" : "中文";
    document.title = t("app_title");
  }

  async function route() {
    applyStaticText();
    const hash = location.hash || "#/home";
    const publicView = views.find((v) => v.public && v.pattern.test(hash));
    if (!app.token) {
      if (publicView) await publicView.render(hash.match(publicView.pattern));
      else { renderLogin(); app.rendered = "login"; }
      return;
    }
    try {
      if (!app.me) await start();
      const match = hash.match(/^#\/orders?\/(\d+)/);
      const added = views.find((v) => v.pattern.test(hash));
      if (match) await renderOrder(Number(match[1]));
      else if (added) await added.render(hash.match(added.pattern));
      else if (hash.startsWith("#/points")) await renderPoints();
      else if (hash.startsWith("#/login")) { renderLogin(); app.rendered = "login"; }
      else await renderHome();
    } catch (error) {
      if (app.token) toast(t("error", { detail: error.message }));
    }
  }

  // Amounts are integer fen: format them with integer arithmetic (no float rounding).
  function money(fen) {
    const n = Number(fen || 0);
    const abs = Math.abs(n);
    const yuan = String(Math.floor(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return `${n < 0 ? "-" : ""}¥${yuan}.${String(abs % 100).padStart(2, "0")}`;
  }

  function signedIn(token) {
    app.token = token;
    localStorage.setItem("gw_token", token);
  }

  window.gw = {
    app, api, t, esc, toast, money, tabs, view, route, signOut, signedIn, start,
    addView(pattern, render, opts = {}) { views.push({ pattern, render, public: !!opts.public }); },
    onSignIn(hook) { onSignIn.push(hook); },
    onSignOut(hook) { onSignOut.push(hook); },
  };

  document.getElementById("lang").onclick = () => { setLang(getLang() === "zh" ? "en" : "zh"); route(); };
  window.addEventListener("hashchange", route);
  // The other scripts load after this one and add their views first.
  document.addEventListener("DOMContentLoaded", route);
})();
