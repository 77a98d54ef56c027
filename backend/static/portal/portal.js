/* Gridwork client portal: a client's people see and act on their orders through the public API
   (/api/v1) only — orders with a map of their sites, an order's history, evidence and points,
   creating one or a CSV batch (row errors beside the rows), deliveries to accept / reject and rate,
   charts, API keys and webhook endpoints. Text and formats come from window.GW (i18n.js). */
(() => {
  "use strict";
  const GW = window.GW;
  const $ = (id) => document.getElementById(id);
  const STATES = ["created", "published", "offered", "assigned", "accepted", "en_route", "on_site", "delivered", "verified", "rejected", "cancelled", "expired"];
  const state = { token: sessionStorage.getItem("gw.portal.access"), orders: [], sites: new Map(), me: null };
  window.gridworkPortal = state; // for the browser test and for debugging

  // --- API -------------------------------------------------------------------------------------

  class Problem extends Error {
    constructor(status, body) {
      super((body && (body.detail || body.title)) || `HTTP ${status}`);
      this.status = status;
      this.body = body || {};
    }
  }

  async function api(path, { method = "GET", json, form } = {}) {
    const headers = {};
    if (state.token) headers.authorization = `Bearer ${state.token}`;
    let body;
    if (json !== undefined) { headers["content-type"] = "application/json"; body = JSON.stringify(json); }
    if (form !== undefined) body = form;
    const response = await fetch(`/api/v1${path}`, { method, headers, body });
    if (response.status === 401 && path !== "/auth/login") { signOut(); throw new Problem(401, {}); }
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) throw new Problem(response.status, data);
    return data;
  }

  async function blob(path) {
    // A file the API serves behind the caller's token (an <img> or a link cannot send it).
    const response = await fetch(path, { headers: { authorization: `Bearer ${state.token}` } });
    if (!response.ok) throw new Problem(response.status, await response.json().catch(() => null));
    return response.blob();
  }

  function saveBlob(name, data) {
    const link = el("a", { href: URL.createObjectURL(data), download: name });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
  }

  async function all(path, max = 2000) {
    const items = [];
    let cursor = null;
    do {
      const sep = path.includes("?") ? "&" : "?";
      const page = await api(`${path}${sep}limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      items.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor && items.length < max);
    return items;
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (k === "dataset") Object.assign(node.dataset, v);
      else if (v !== undefined && v !== null) node.setAttribute(k, v);
    }
    node.append(...children.filter((c) => c !== null && c !== undefined));
    return node;
  }

  function problemText(error) {
    const fields = (error.body && error.body.errors) || [];
    return [error.message, ...fields.map((f) => `${f.field}: ${f.message}`)].join(" · ");
  }

  // --- sign in / out, navigation ---------------------------------------------------------------

  $("signin-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("signin-error").textContent = "";
    try {
      const tokens = await api("/auth/login", { method: "POST", json: { email: $("email").value, password: $("password").value } });
      state.token = tokens.access_token;
      sessionStorage.setItem("gw.portal.access", state.token);
      await start();
    } catch (error) {
      $("signin-error").textContent = GW.t("signin.failed");
    }
  });

  function signOut() {
    sessionStorage.removeItem("gw.portal.access");
    state.token = null;
    $("app").hidden = true;
    $("signin").hidden = false;
  }
  $("signout").addEventListener("click", signOut);

  const VIEWS = ["orders", "create", "deliveries", "records", "funds", "charts", "keys", "webhooks"];
  function show(name) {
    if (!VIEWS.includes(name)) name = "orders";
    for (const v of VIEWS) $(`view-${v}`).hidden = v !== name;
    document.querySelectorAll("#tabs a").forEach((a) => a.classList.toggle("on", a.hash === `#${name}`));
    state.view = name;
    const loaders = { orders: loadOrders, deliveries: loadDeliveries, records: loadRecords, funds: loadFunds, charts: drawCharts, keys: loadKeys, webhooks: loadHooks, create: fillSites };
    if (state.me) loaders[name]().catch(report);
  }
  window.addEventListener("hashchange", () => show(location.hash.slice(1)));

  function report(error) {
    console.error(error);
  }

  // --- orders: list, filters, map --------------------------------------------------------------

  function initMap() {
    state.map = L.map("map").setView([30.657, 104.0657], 11);
    if (window.GRIDWORK.tileUrl) L.tileLayer(window.GRIDWORK.tileUrl, { maxZoom: 19 }).addTo(state.map);
    state.layer = L.layerGroup().addTo(state.map);
  }

  function orderQuery() {
    const params = new URLSearchParams();
    if ($("f-status").value) params.set("status", $("f-status").value);
    if ($("f-from").value) params.set("created_from", dayStart($("f-from").value));
    if ($("f-to").value) params.set("created_to", dayStart($("f-to").value, 1));
    if ($("f-late").checked) params.set("sla_breached", "true");
    if ($("f-risk").checked) params.set("sla_at_risk", "true");
    return params.toString();
  }

  function dayStart(yyyyMmDd, plusDays = 0) {
    // Midnight of a date picked in the client's time zone (its offset read from Intl), as UTC.
    const guess = new Date(`${yyyyMmDd}T00:00:00Z`);
    guess.setUTCDate(guess.getUTCDate() + plusDays);
    const parts = new Intl.DateTimeFormat("en-US", { timeZone: GW.timeZone, timeZoneName: "longOffset" }).formatToParts(guess);
    const offset = (parts.find((p) => p.type === "timeZoneName").value.match(/GMT([+-]\d\d):?(\d\d)?/) || []);
    const minutes = offset[1] ? (Number(offset[1]) * 60 + Math.sign(Number(offset[1]) || 1) * Number(offset[2] || 0)) : 0;
    return new Date(guess.getTime() - minutes * 60_000).toISOString();
  }

  async function loadOrders() {
    state.map.invalidateSize(); // the map's box may have changed while its view was hidden
    const query = orderQuery();
    state.orders = await all(`/orders${query ? `?${query}` : ""}`);
    renderOrders();
  }

  function orderPosition(order) {
    if (order.location && order.location.coordinates) return order.location.coordinates;
    const site = state.sites.get(order.site_id);
    return site ? site.location.coordinates : null;
  }

  function flags(order) {
    if (order.sla_breached_at) return "late";
    const due = order.sla_deadline && new Date(order.sla_deadline).getTime();
    if (due && due - Date.now() < 2 * 3600_000 && !["delivered", "verified", "cancelled", "rejected", "expired"].includes(order.status)) return "risk";
    return "";
  }

  function renderOrders() {
    const rows = state.orders.map((o) => el("tr", { dataset: { orderId: o.id }, class: `p-${o.priority} ${flags(o)}`, onclick: () => openOrder(o.id) },
      el("td", {}, String(o.id)), el("td", {}, o.client_ref), el("td", {}, GW.t(`kind.${o.kind}`)),
      el("td", {}, GW.status(o.status)), el("td", {}, GW.t(`priority.${o.priority}`)),
      el("td", {}, flags(o) ? GW.t(`flag.${flags(o)}`) : GW.date(o.sla_deadline)), el("td", {}, GW.date(o.created_at))));
    $("orders-table").tBodies[0].replaceChildren(...rows);
    $("orders-empty").hidden = rows.length > 0;
    state.layer.clearLayers();
    const points = [];
    for (const order of state.orders) {
      const at = orderPosition(order);
      if (!at) continue;
      const icon = L.divIcon({ className: "", html: `<div class="order-marker p-${order.priority} ${flags(order)}" data-order-id="${order.id}"></div>`, iconSize: [12, 12] });
      L.marker([at[1], at[0]], { icon }).bindTooltip(`#${order.id} ${order.client_ref} · ${GW.status(order.status)}`)
        .on("click", () => openOrder(order.id)).addTo(state.layer);
      points.push([at[1], at[0]]);
    }
    if (points.length) state.map.fitBounds(L.latLngBounds(points).pad(0.2), { maxZoom: 14 });
    state.ordersShown = true;
  }

  $("order-filters").addEventListener("submit", (event) => { event.preventDefault(); loadOrders().catch(report); });
  $("orders-csv").addEventListener("click", () => {
    const columns = [["id", (o) => o.id], [GW.t("orders.ref"), (o) => o.client_ref], [GW.t("orders.kind"), (o) => o.kind],
      [GW.t("orders.status"), (o) => o.status], [GW.t("orders.priority"), (o) => o.priority],
      [GW.t("orders.sla"), (o) => o.sla_deadline], [GW.t("orders.created"), (o) => o.created_at], [GW.t("orders.points"), (o) => o.points.points]];
    GW.download("orders.csv", GW.toCsv(columns, state.orders));
  });

  // --- one order ---------------------------------------------------------------------------------

  async function openOrder(orderId) {
    const [order, events] = await Promise.all([api(`/orders/${orderId}`), api(`/orders/${orderId}/events`)]);
    state.order = order;
    $("order-detail").hidden = false;
    $("d-title").textContent = `#${order.id} ${order.client_ref}`;
    const site = state.sites.get(order.site_id);
    const fields = [["orders.status", GW.status(order.status)], ["orders.kind", GW.t(`kind.${order.kind}`)],
      ["orders.work_type", order.work_type], ["orders.site", site ? `${site.code} ${site.name}` : "–"],
      ["orders.priority", GW.t(`priority.${order.priority}`)], ["orders.sla", GW.date(order.sla_deadline)],
      ["orders.technician", order.technician_id ? `#${order.technician_id}` : "–"], ["orders.rating", order.quality_rating ?? "–"]];
    $("d-fields").replaceChildren(...fields.flatMap(([k, v]) => [el("dt", {}, GW.t(k)), el("dd", {}, String(v))]));
    const points = order.points || {};
    const breakdown = Object.entries(points.breakdown || {}).filter(([, v]) => typeof v !== "object");
    $("d-points").replaceChildren(el("dt", {}, GW.t("orders.points")), el("dd", {}, points.points ?? "–"),
      ...breakdown.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, String(v))]));
    // Attachments the client named when creating the order: listed by hash (files are served
    // only as a delivery's evidence, never by a hash a caller names).
    $("d-attachments").replaceChildren(...(order.attachments || []).map((sha) => el("li", {}, el("code", { title: sha }, sha.slice(0, 16)))));
    $("d-attachments-box").hidden = !(order.attachments || []).length;
    showEvidence(order.id).catch(report);
    showTrack(order.id).catch(report);
    $("d-events").replaceChildren(...events.items.map((e) => el("li", {},
      `${GW.date(e.created_at)} · ${GW.t(`action.${e.action}`) === `action.${e.action}` ? e.action : GW.t(`action.${e.action}`)}`,
      e.to_status ? ` → ${GW.status(e.to_status)}` : "", e.reason ? ` (${e.reason})` : "")));
    const actions = [];
    if (order.allowed_transitions.includes("published")) actions.push(el("button", { type: "button", id: "d-publish", onclick: () => act(order.id, "publish") }, GW.t("act.publish")));
    if (order.allowed_transitions.includes("cancelled")) actions.push(el("button", { type: "button", id: "d-cancel", onclick: () => act(order.id, "cancel", { reason: prompt(GW.t("act.reason")) || "—" }) }, GW.t("act.cancel")));
    $("d-actions").replaceChildren(...actions);
    $("order-detail").scrollIntoView({ block: "nearest" });
  }

  // Evidence: thumbnails of photos, a tile for PDFs, each with a download link.
  async function showEvidence(orderId) {
    const { items } = await api(`/orders/${orderId}/evidence`);
    for (const url of state.thumbUrls || []) URL.revokeObjectURL(url);
    state.thumbUrls = [];
    $("d-evidence").replaceChildren(...(items.length ? items.map(evidenceItem) : [el("li", { class: "empty" }, GW.t("evidence.none"))]));
    await Promise.all(items.filter((f) => f.thumbnail_url).map(async (f) => {
      const url = URL.createObjectURL(await blob(f.thumbnail_url));
      state.thumbUrls.push(url);
      const img = document.querySelector(`#d-evidence li[data-sha256="${f.sha256}"] img`);
      if (img) img.src = url;
    }));
    state.evidenceShown = orderId;
  }

  function evidenceItem(file) {
    const size = file.size ? ` · ${GW.number(file.size / 1024, file.size < 10_240 ? 1 : 0)} KB` : "";
    const preview = file.thumbnail_url ? el("img", { alt: file.file_name }) : el("span", { class: "file-kind" }, GW.t("evidence.pdf"));
    const link = el("a", { href: "#", class: "download", onclick: (event) => {
      event.preventDefault();
      blob(file.url).then((data) => saveBlob(file.file_name, data)).catch(report);
    } }, GW.t("evidence.download"));
    return el("li", { dataset: { sha256: file.sha256 }, title: file.sha256 }, preview, el("span", { class: "note" }, `${GW.date(file.uploaded_at)}${size}`), link);
  }

  // The technician's way to this order (claim → delivery only), played on the orders map.
  function trackPlayer() {
    if (!state.track) {
      state.trackLayer = L.layerGroup().addTo(state.map);
      state.track = GWReplay.player(state.map, state.trackLayer, {
        markerId: "track-marker", label: (e) => GW.status(e.value), onStop: () => { $("d-track-stop").disabled = true; },
      });
    }
    return state.track;
  }

  async function showTrack(orderId) {
    const player = trackPlayer();
    player.clear();
    $("d-track-play").disabled = true;
    const feature = await api(`/orders/${orderId}/track?tolerance_m=3`);
    const p = feature.properties;
    if (!p.start || !feature.geometry.coordinates.length) {
      $("d-track-summary").textContent = GW.t("track.none");
      state.trackShown = orderId;
      return;
    }
    player.load(feature);
    $("d-track-summary").textContent = GW.t("track.summary", {
      from: GW.date(p.start), to: GW.date(p.end), km: GW.number(p.distance_m / 1000, 2), fixes: p.points,
    });
    $("d-track-play").disabled = !player.playable();
    state.trackShown = orderId;
  }

  $("d-track-play").addEventListener("click", () => {
    trackPlayer().play(() => Number($("d-track-speed").value));
    $("d-track-stop").disabled = false;
  });
  $("d-track-stop").addEventListener("click", () => trackPlayer().stop(false));

  async function act(orderId, verb, json = {}) {
    await api(`/orders/${orderId}/${verb}`, { method: "POST", json });
    await Promise.all([openOrder(orderId), state.view === "deliveries" ? loadDeliveries() : loadOrders()]);
  }

  // --- create one, upload a batch ------------------------------------------------------------------

  async function fillSites() {
    const select = $("c-site");
    select.replaceChildren(...[...state.sites.values()].map((s) => new Option(`${s.code} ${s.name}`, s.code)));
  }

  $("create-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {
      client_ref: $("c-ref").value, kind: $("c-kind").value, work_type: $("c-work-type").value,
      site_code: $("c-site").value || null, priority: $("c-priority").value, publish: $("c-publish").checked,
      description: $("c-description").value || null,
    };
    if ($("c-sla").value) body.sla_deadline = localToUtc($("c-sla").value);
    try {
      const order = await api("/orders", { method: "POST", json: body });
      $("c-result").textContent = GW.t("create.done", { id: order.id });
      $("c-result").className = "note ok";
      state.created = order.id;
    } catch (error) {
      $("c-result").textContent = problemText(error);
      $("c-result").className = "note error";
    }
  });

  function localToUtc(local) {
    // "YYYY-MM-DDTHH:MM" in the client's time zone → ISO UTC.
    const midnight = new Date(dayStart(local.slice(0, 10)));
    const [h, m] = local.slice(11, 16).split(":").map(Number);
    return new Date(midnight.getTime() + (h * 60 + m) * 60_000).toISOString();
  }

  function parseCsv(text) {
    // RFC 4180: quoted cells, doubled quotes, CRLF or LF.
    const rows = [];
    let row = [], cell = "", quoted = false;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (quoted) {
        if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (c === '"') quoted = false; else cell += c;
      } else if (c === '"') quoted = true;
      else if (c === ",") { row.push(cell); cell = ""; }
      else if (c === "\n" || c === "\r") {
        if (c === "\r" && text[i + 1] === "\n") i++;
        row.push(cell); rows.push(row); row = []; cell = "";
      } else cell += c;
    }
    if (cell || row.length) { row.push(cell); rows.push(row); }
    return rows.filter((r) => r.some((v) => v.trim() !== ""));
  }

  function showBatch(rows, errors = []) {
    const [header, ...data] = rows;
    const byRow = new Map();
    for (const e of errors) {
      if (e.row === undefined) continue;
      byRow.set(e.row, [...(byRow.get(e.row) || []), `${e.field}: ${e.message}`]);
    }
    $("batch-table").tHead.replaceChildren(el("tr", {}, el("th", {}, "#"), ...header.map((h) => el("th", {}, h)), el("th", {}, GW.t("batch.errors"))));
    $("batch-table").tBodies[0].replaceChildren(...data.map((cells, i) => el("tr", { class: byRow.has(i) ? "bad" : "", dataset: { row: i } },
      el("td", {}, String(i + 1)), ...cells.map((c) => el("td", {}, c)),
      el("td", { class: "row-error" }, (byRow.get(i) || []).join("; ")))));
  }

  $("batch-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = $("batch-file").files[0];
    if (!file) return;
    const rows = parseCsv((await file.text()).replace(/^\ufeff/, ""));
    showBatch(rows);
    const form = new FormData();
    form.append("file", file);
    form.append("publish", $("batch-publish").checked ? "true" : "false");
    try {
      const result = await api("/orders/import", { method: "POST", form });
      $("batch-result").textContent = GW.t("batch.done", { count: result.created });
      $("batch-result").className = "note ok";
    } catch (error) {
      showBatch(rows, (error.body && error.body.errors) || []);
      $("batch-result").textContent = `${GW.t("batch.rejected")} ${error.message}`;
      $("batch-result").className = "note error";
    }
  });

  // --- deliveries awaiting acceptance ---------------------------------------------------------------

  async function loadDeliveries() {
    const delivered = await all("/orders?status=delivered");
    state.deliveries = delivered;
    $("deliveries-empty").hidden = delivered.length > 0;
    $("deliveries-table").tBodies[0].replaceChildren(...delivered.map((o) => {
      const rating = el("select", { class: "rating", "aria-label": GW.t("orders.rating") }, ...[5, 4, 3, 2, 1].map((n) => new Option("★".repeat(n), n)));
      return el("tr", { dataset: { orderId: o.id } }, el("td", {}, String(o.id)), el("td", {}, o.client_ref), el("td", {}, o.work_type),
        el("td", {}, GW.date(o.updated_at)),
        el("td", { class: "buttons" }, rating,
          el("button", { type: "button", class: "accept", onclick: () => acceptAndRate(o.id, Number(rating.value)) }, GW.t("act.accept")),
          el("button", { type: "button", class: "reject", onclick: () => act(o.id, "reject", { reason: prompt(GW.t("act.reason")) || "—" }) }, GW.t("act.reject"))));
    }));
  }

  async function acceptAndRate(orderId, rating) {
    await api(`/orders/${orderId}/accept`, { method: "POST", json: { rating } });
    state.accepted = orderId;
    await loadDeliveries();
  }

  // --- daily work records awaiting the client's confirmation --------------------------------------

  async function loadRecords() {
    const waiting = await all("/work-records?state=pending_confirmation");
    const full = await Promise.all(waiting.map((r) => api(`/work-records/${r.id}`)));
    const mine = full.filter((r) => !(r.confirmations || []).some((c) => c.party === "client"));
    $("records-empty").hidden = mine.length > 0;
    $("records-list").replaceChildren(...mine.map(recordCard));
  }

  function recordCard(record) {
    const lines = record.lines || [];
    const reason = el("input", { class: "reason", maxlength: "1000", placeholder: GW.t("records.reason") });
    const rows = lines.map((line) => el("tr", {},
      el("td", {}, line.kind === "order" ? el("input", { type: "checkbox", class: "disputed", value: line.order_id, "aria-label": `#${line.order_id}` }) : ""),
      el("td", {}, line.kind === "order" ? `${GW.t("orders.order")} #${line.order_id}` : `${line.work_type || ""} ${line.client_ref || ""}`),
      el("td", {}, GW.number(line.points, 2)), el("td", {}, GW.money(line.pay_fen))));
    return el("article", { class: "record", dataset: { recordId: record.id } },
      el("h3", {}, `${GW.date(record.work_date + "T12:00:00Z", false)} · ${GW.t("orders.technician")} #${record.technician_id} · v${record.version}`),
      el("p", {}, `${GW.t("orders.points")} ${GW.number(record.points, 2)} · ${GW.t("records.total")} ${GW.money(record.client_total_fen)}`),
      el("table", { class: "table" }, el("tbody", {}, ...rows)),
      el("div", { class: "buttons" },
        el("button", { type: "button", class: "confirm", onclick: () => decideRecord(record.id, "confirm") }, GW.t("records.confirm")),
        reason,
        el("button", { type: "button", class: "dispute reject", onclick: (event) => {
          const card = event.target.closest("article");
          const ids = [...card.querySelectorAll("input.disputed:checked")].map((c) => Number(c.value));
          decideRecord(record.id, "dispute", { reason: reason.value, order_ids: ids });
        } }, GW.t("records.dispute"))));
  }

  async function decideRecord(recordId, verb, json) {
    try {
      const record = await api(`/work-records/${recordId}/${verb}`, { method: "POST", json: json || {} });
      $("records-result").textContent = GW.t(verb === "confirm" ? "records.confirmed" : "records.disputed", { id: recordId, state: record.state });
      $("records-result").className = "note ok";
      state.lastRecord = { id: recordId, verb, state: record.state };
      await loadRecords();
    } catch (error) {
      $("records-result").textContent = problemText(error);
      $("records-result").className = "note error";
    }
  }

  // --- funds, transactions, allocations, statements --------------------------------------------------

  async function loadFunds() {
    const funds = await api("/funds");
    state.funds = funds;
    $("funds-table").tBodies[0].replaceChildren(...funds.items.map((f) => el("tr", { dataset: { orgId: f.org_id } },
      el("td", {}, f.name), el("td", { class: "money" }, GW.money(f.balance_fen)), el("td", { class: "money" }, GW.money(f.reserved_fen)),
      el("td", { class: "money available" }, GW.money(f.available_fen)), el("td", { class: "money" }, GW.money(f.credit_limit_fen)))));
    $("alloc-to").replaceChildren(...funds.items.filter((f) => f.org_id !== state.me.org_id).map((f) => new Option(f.name, f.org_id)));
    $("alloc-form").hidden = state.me.role !== "client_admin" || !$("alloc-to").options.length;
    if (!$("statement-month").value) $("statement-month").value = GW.localDay(new Date().toISOString()).slice(0, 7);
    const tx = await all("/funds/transactions", 1000);
    state.transactions = tx;
    $("tx-table").tBodies[0].replaceChildren(...tx.slice(-200).reverse().map((t) => el("tr", {},
      el("td", {}, GW.date(t.created_at)), el("td", {}, t.code), el("td", {}, t.reference || ""),
      el("td", { class: `money ${t.direction}` }, `${t.direction === "out" ? "−" : "+"}${GW.money(t.amount_fen)}`), el("td", {}, t.status))));
    drawSpending(tx, funds);
    state.fundsShown = true;
  }

  function drawSpending(tx, funds) {
    // Money out per day (posted) against the funds available now.
    const days = [...new Set(tx.map((t) => GW.localDay(t.created_at)))].sort();
    const out = days.map((d) => tx.filter((t) => t.direction === "out" && t.status === "posted" && GW.localDay(t.created_at) === d).reduce((s, t) => s + t.amount_fen, 0) / 100);
    const inflow = days.map((d) => tx.filter((t) => t.direction === "in" && t.status === "posted" && GW.localDay(t.created_at) === d).reduce((s, t) => s + t.amount_fen, 0) / 100);
    chart("chart-spending").setOption({
      tooltip: { trigger: "axis" }, legend: { data: [GW.t("charts.spent"), GW.t("charts.funded"), GW.t("funds.available")] },
      xAxis: { type: "category", data: days }, yAxis: { type: "value", axisLabel: { formatter: "¥{value}" } },
      series: [
        { name: GW.t("charts.spent"), type: "bar", data: out },
        { name: GW.t("charts.funded"), type: "bar", data: inflow },
        { name: GW.t("funds.available"), type: "line", data: days.map(() => funds.totals.available_fen / 100) },
      ],
    });
  }

  $("alloc-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const amount = Math.round(Number($("alloc-amount").value) * 100);
    try {
      await api("/funds/allocations", { method: "POST", json: { to_org_id: Number($("alloc-to").value), amount_fen: amount, reference: `portal-${Date.now()}` } });
      $("alloc-result").textContent = GW.t("funds.allocated", { amount: GW.money(amount) });
      await loadFunds();
    } catch (error) {
      $("alloc-result").textContent = problemText(error);
    }
  });

  $("statement-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const month = $("statement-month").value;
    const response = await fetch(`/api/v1/statements/${month}.csv`, { headers: { authorization: `Bearer ${state.token}` } });
    if (!response.ok) return;
    GW.download(`statement_${month}.csv`, await response.text());
  });

  $("tx-csv").addEventListener("click", () => GW.download("transactions.csv", GW.toCsv(
    [["time", (t) => t.created_at], ["code", (t) => t.code], ["reference", (t) => t.reference], ["direction", (t) => t.direction], ["amount_fen", (t) => t.amount_fen], ["status", (t) => t.status]],
    state.transactions || [])));

  // --- charts ------------------------------------------------------------------------------------

  function chart(id) {
    const node = $(id);
    const existing = echarts.getInstanceByDom(node);
    if (existing) existing.dispose();
    const instance = echarts.init(node, null, { renderer: "svg" });
    instance.setOption({ animation: false }); // figures drawn at once (and screenshots show them whole)
    return instance;
  }

  async function drawCharts() {
    // Figures aggregated by the server (GET /api/v1/stats) in the client's time zone.
    const stats = await api("/stats");
    state.stats = stats;
    const days = [...new Set(stats.orders_per_day.map((r) => r.day))].sort();
    const statuses = [...new Set(stats.orders_per_day.map((r) => r.status))];
    const count = (day, status) => (stats.orders_per_day.find((r) => r.day === day && r.status === status) || { orders: 0 }).orders;
    chart("chart-per-day").setOption({
      tooltip: { trigger: "axis" }, legend: { data: statuses.map(GW.status) },
      xAxis: { type: "category", data: days }, yAxis: { type: "value", minInterval: 1 },
      series: statuses.map((s) => ({ name: GW.status(s), type: "bar", stack: "all", data: days.map((d) => count(d, s)) })),
    });
    const regionName = (r) => r.region || (r.region_id ? `#${r.region_id}` : GW.t("none"));
    chart("chart-sla").setOption({
      tooltip: { trigger: "axis" }, legend: { data: [GW.t("charts.breaches"), GW.t("charts.on_time")] },
      xAxis: { type: "category", data: stats.sla_per_region.map(regionName) },
      yAxis: [{ type: "value", minInterval: 1 }, { type: "value", max: 100, axisLabel: { formatter: "{value}%" } }],
      series: [
        { name: GW.t("charts.breaches"), type: "bar", data: stats.sla_per_region.map((r) => r.breached) },
        { name: GW.t("charts.on_time"), type: "line", yAxisIndex: 1, data: stats.sla_per_region.map((r) => Math.round(r.on_time_rate * 1000) / 10) },
      ],
    });
    const yuan = (fen) => Math.round(fen) / 100;
    chart("chart-cost").setOption({
      tooltip: { trigger: "axis", valueFormatter: (v) => GW.money(v * 100) },
      grid: [{ left: 50, right: "55%" }, { left: "55%", right: 10 }],
      xAxis: [{ type: "category", data: stats.cost_per_day.map((r) => r.day), gridIndex: 0 }, { type: "category", data: stats.cost_per_region.map(regionName), gridIndex: 1 }],
      yAxis: [{ type: "value", gridIndex: 0, axisLabel: { formatter: "¥{value}" } }, { type: "value", gridIndex: 1, axisLabel: { formatter: "¥{value}" } }],
      series: [
        { name: GW.t("charts.cost_day"), type: "bar", data: stats.cost_per_day.map((r) => yuan(r.cost_fen)), xAxisIndex: 0, yAxisIndex: 0 },
        { name: GW.t("charts.cost_region"), type: "bar", data: stats.cost_per_region.map((r) => yuan(r.cost_fen)), xAxisIndex: 1, yAxisIndex: 1 },
      ],
    });
    const q = stats.quality;
    chart("chart-points").setOption({
      tooltip: {}, legend: { data: [GW.t("charts.avg_points"), GW.t("charts.ratings")] },
      xAxis: [{ type: "category", data: [GW.t("charts.avg_points"), GW.t("charts.avg_rating")] }],
      yAxis: { type: "value" },
      series: [{ type: "bar", data: [Number(q.avg_points || 0), Number(q.avg_rating || 0)],
        label: { show: true, formatter: (p) => GW.number(p.value, 2) } }],
    });
    $("ratings-note").textContent = q.ratings.map((r) => `${"★".repeat(r.rating)} ${r.orders}`).join(" · ");
    state.charted = true;
  }

  // --- API keys, webhooks ----------------------------------------------------------------------------

  async function loadKeys() {
    const keys = await all("/api-keys");
    $("keys-table").tBodies[0].replaceChildren(...keys.map((k) => el("tr", { dataset: { keyId: k.id }, class: k.revoked_at ? "revoked" : "" },
      el("td", {}, k.name), el("td", {}, el("code", {}, k.prefix)), el("td", {}, k.scopes.join(" ")), el("td", {}, GW.date(k.created_at)),
      el("td", {}, k.revoked_at ? GW.t("keys.revoked") : el("button", { type: "button", class: "revoke", onclick: () => revokeKey(k.id) }, GW.t("keys.revoke"))))));
  }

  async function revokeKey(id) {
    await api(`/api-keys/${id}`, { method: "DELETE" });
    await loadKeys();
  }

  $("key-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const created = await api("/api-keys", { method: "POST", json: { name: $("key-name").value, mode: $("key-mode").value, scopes: ["orders:read", "orders:write"] } });
    $("key-secret").textContent = created.key;
    $("key-once").hidden = false;
    await loadKeys();
  });

  async function loadHooks() {
    const [hooks, deliveries] = await Promise.all([api("/webhook-endpoints"), api("/webhook-deliveries?limit=100")]);
    $("hooks-table").tBodies[0].replaceChildren(...hooks.items.map((h) => el("tr", {}, el("td", {}, String(h.id)), el("td", {}, h.url), el("td", {}, h.events.join(" ")),
      el("td", {}, el("button", { type: "button", onclick: async () => { await api(`/webhook-endpoints/${h.id}`, { method: "DELETE" }); loadHooks(); } }, GW.t("delete"))))));
    $("hook-deliveries").tBodies[0].replaceChildren(...deliveries.items.map((d) => el("tr", { class: d.state === "dead" ? "bad" : "", dataset: { deliveryId: d.id } },
      el("td", {}, String(d.id)), el("td", {}, d.event), el("td", {}, GW.t(`delivery.${d.state}`)), el("td", {}, String(d.attempts)), el("td", {}, GW.date(d.created_at)),
      el("td", {}, d.state === "pending" ? "" : el("button", { type: "button", class: "replay", onclick: async () => {
        await api(`/webhook-deliveries/${d.id}/replay`, { method: "POST" });
        await loadHooks();
      } }, GW.t("webhooks.replay"))))));
  }

  $("hook-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const events = $("hook-events").value.split(/[\s,]+/).filter(Boolean);
    const created = await api("/webhook-endpoints", { method: "POST", json: { url: $("hook-url").value, events } });
    $("hook-secret").textContent = created.secret;
    $("hook-once").hidden = false;
    await loadHooks();
  });

  // --- start -----------------------------------------------------------------------------------------

  async function start() {
    state.me = await api("/auth/me");
    if (!state.me.role.startsWith("client")) throw new Problem(403, { detail: GW.t("signin.clients_only") });
    try {
      const org = await api(`/organizations/${state.me.org_id}`);
      GW.timeZone = org.timezone || GW.timeZone;
      state.org = org;
    } catch (error) { /* the organization's time zone is a nicety; keep the default */ }
    $("signin").hidden = true;
    $("app").hidden = false;
    $("whoami").textContent = `${state.me.name} · ${GW.t(`role.${state.me.role}`)}${state.org ? ` · ${state.org.name}` : ""}`;
    document.querySelectorAll("[data-admin]").forEach((a) => { a.hidden = state.me.role !== "client_admin"; });
    if (!state.map) initMap();
    state.map.invalidateSize();
    for (const site of await all("/sites")) state.sites.set(site.id, site);
    show(location.hash.slice(1) || "orders");
    state.ready = true;
  }

  document.addEventListener("gw:lang", () => {
    $("f-status").replaceChildren(new Option(GW.t("any"), ""), ...STATES.map((s) => new Option(GW.status(s), s)));
    if (state.ready) {
      $("whoami").textContent = `${state.me.name} · ${GW.t(`role.${state.me.role}`)}${state.org ? ` · ${state.org.name}` : ""}`;
      show(state.view);
    }
  });

  (async () => {
    await GW.load();
    document.querySelectorAll("select.lang").forEach(GW.bindSwitch);
    document.querySelectorAll("select.lang").forEach((s) => s.addEventListener("change", () => document.querySelectorAll("select.lang").forEach((o) => { o.value = s.value; })));
    if (state.token) start().catch(() => signOut());
  })();
})();
