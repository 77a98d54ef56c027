/* Gridwork live map console: sign in, draw regions / sites / orders / routes / technicians,
   follow the /console Socket.IO namespace, show a technician's skill radar, replay tracks. */
(() => {
  "use strict";

  const state = {
    token: sessionStorage.getItem("gw.access"),
    refresh: sessionStorage.getItem("gw.refresh"),
    map: null,
    techs: new Map(), // technician id -> {marker, data}
    socket: null,
    replay: null,
  };
  window.gridworkConsole = state; // for the browser test and for debugging; console-work.js builds on it
  const $ = (id) => document.getElementById(id);

  // --- API -------------------------------------------------------------------------------------

  async function api(path, options = {}) {
    const headers = { "content-type": "application/json", ...(options.headers || {}) };
    if (state.token) headers.authorization = `Bearer ${state.token}`;
    let response = await fetch(path, { ...options, headers });
    if (response.status === 401 && state.refresh && !options.retried) {
      if (await refreshToken()) return api(path, { ...options, retried: true });
    }
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      const error = new Error(body.detail || `${response.status} ${path}`);
      error.status = response.status;
      error.body = body;
      throw error;
    }
    return response.status === 204 ? null : response.json();
  }

  async function refreshToken() {
    const response = await fetch("/api/v1/auth/refresh", {
      method: "POST",
      headers: { authorization: `Bearer ${state.refresh}` },
    });
    if (!response.ok) return false;
    saveTokens(await response.json());
    return true;
  }

  function saveTokens(tokens) {
    state.token = tokens.access_token;
    state.refresh = tokens.refresh_token || state.refresh;
    sessionStorage.setItem("gw.access", state.token);
    if (state.refresh) sessionStorage.setItem("gw.refresh", state.refresh);
  }

  state.api = (...args) => api(...args);
  state.pages = (...args) => pages(...args);

  async function pages(path, key, limit = 500, max = 5000) {
    // Follows next_cursor until the end (or `max` items).
    const items = [];
    let cursor = null;
    do {
      const sep = path.includes("?") ? "&" : "?";
      const page = await api(`${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      items.push(...page[key]);
      cursor = page.next_cursor;
    } while (cursor && items.length < max);
    return items;
  }

  // --- sign in ---------------------------------------------------------------------------------

  $("signin-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    $("signin-error").textContent = "";
    const body = JSON.stringify({ email: $("email").value, password: $("password").value });
    const response = await fetch("/api/v1/auth/login", { method: "POST", headers: { "content-type": "application/json" }, body });
    if (!response.ok) {
      $("signin-error").textContent = "Wrong email or password.";
      return;
    }
    saveTokens(await response.json());
    start();
  });

  $("signout").addEventListener("click", () => {
    sessionStorage.clear();
    location.reload();
  });

  // --- map layers ------------------------------------------------------------------------------

  function initMap() {
    state.map = L.map("map", { preferCanvas: false }).setView([30.657, 104.0657], 12);
    if (window.GRIDWORK.tileUrl) {
      L.tileLayer(window.GRIDWORK.tileUrl, { maxZoom: 19 }).addTo(state.map);
    }
    state.layers = {
      regions: L.layerGroup().addTo(state.map),
      sites: L.layerGroup().addTo(state.map),
      routes: L.layerGroup().addTo(state.map),
      orders: L.layerGroup().addTo(state.map),
      techs: L.layerGroup().addTo(state.map),
      replay: L.layerGroup().addTo(state.map),
    };
    L.control.layers(null, {
      Regions: state.layers.regions, Sites: state.layers.sites, Routes: state.layers.routes,
      Orders: state.layers.orders, Technicians: state.layers.techs,
    }).addTo(state.map);
  }

  const REGION_STYLE = {
    city: { color: "#1d2433", weight: 2, fill: false },
    district: { color: "#0969da", weight: 1.5, fillOpacity: 0.04 },
    grid: { color: "#8c959f", weight: 0.5, dashArray: "2 3", fillOpacity: 0 },
  };

  async function drawRegions() {
    const features = await pages("/api/v1/regions", "features");
    const layer = L.geoJSON({ type: "FeatureCollection", features }, {
      style: (f) => REGION_STYLE[f.properties.level] || REGION_STYLE.grid,
      onEachFeature: (f, l) => l.bindTooltip(f.properties.name || f.properties.code, { sticky: true }),
    }).addTo(state.layers.regions);
    if (features.length) state.map.fitBounds(layer.getBounds(), { padding: [10, 10] });
  }

  async function drawSites() {
    const sites = await pages("/api/v1/sites", "items");
    for (const site of sites) {
      const [lon, lat] = site.location.coordinates;
      L.circleMarker([lat, lon], { radius: 2.5, color: "#57606a", weight: 1, fillOpacity: 0.6 })
        .bindTooltip(`${site.code} ${site.name}`)
        .addTo(state.layers.sites);
    }
  }

  const OPEN_STATES = "published,offered,assigned,accepted,en_route,on_site";

  const PRIORITY_RANK = { urgent: 0, high: 1, normal: 2, low: 3 };

  async function drawOrders(query = state.orderQuery || "") {
    // The console's order search (the dispatcher's regions), urgent and late first.
    state.orderQuery = query;
    let orders = [];
    try {
      orders = await pages(`/api/console/v1/orders?status=${OPEN_STATES}${query}`, "items", 200, 1000);
    } catch (error) {
      $("order-count").textContent = "n/a";
      return;
    }
    orders.sort((a, b) => (PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority]) || (orderFlag(b) ? 1 : 0) - (orderFlag(a) ? 1 : 0) || a.id - b.id);
    state.orders = orders;
    $("order-count").textContent = orders.length;
    state.layers.orders.clearLayers();
    $("orders").replaceChildren(...orders.map(orderItem));
  }
  state.drawOrders = drawOrders;

  function orderFlag(order) {
    // late: past the SLA; risk: due within 2 hours (as the order search's sla_at_risk).
    if (order.sla_breached_at) return "late";
    const due = order.sla_deadline && new Date(order.sla_deadline).getTime();
    return due && due - Date.now() < 2 * 3600_000 ? "risk" : "";
  }
  state.orderFlag = orderFlag;

  function orderItem(order) {
    const li = document.createElement("li");
    const flag = orderFlag(order);
    li.className = `order p-${order.priority} ${flag}`;
    li.dataset.orderId = order.id;
    const t = window.GW ? window.GW.t : (k) => k;
    li.textContent = `#${order.id} ${order.client_ref || ""} · ${t(`priority.${order.priority}`)} · ${t(`status.${order.status}`)}${flag ? ` · ${t(`flag.${flag}`)}` : ""}`;
    li.addEventListener("click", () => state.openOrder && state.openOrder(order.id));
    if (order.location && order.location.coordinates) {
      const [lon, lat] = order.location.coordinates;
      const icon = L.divIcon({ className: "", html: `<div class="order-marker p-${order.priority} ${flag}" data-order-id="${order.id}"></div>`, iconSize: [12, 12] });
      L.marker([lat, lon], { icon }).bindTooltip(li.textContent).on("click", () => state.openOrder && state.openOrder(order.id)).addTo(state.layers.orders);
    }
    return li;
  }

  async function drawRoutes() {
    // Planned routes of the newest finished plan, when the planner exists.
    try {
      const plans = await pages("/api/console/v1/plans", "items", 100, 100);
      const done = plans.filter((p) => ["solved", "published"].includes(p.status)).pop();
      if (!done) return;
      const plan = await api(`/api/console/v1/plans/${done.id}`);
      for (const route of plan.routes || []) {
        L.geoJSON(route.geometry, { style: { color: "#8250df", weight: 3, opacity: 0.7 } })
          .bindTooltip(`route of technician ${route.technician_id}`)
          .addTo(state.layers.routes);
      }
    } catch (error) {
      /* no planner, or not allowed: no routes */
    }
  }

  // --- technicians -----------------------------------------------------------------------------

  function techIcon(data) {
    const status = data.online === false ? "offline" : data.status;
    return L.divIcon({
      className: "tech-marker",
      html: `<span class="dot s-${status}" data-technician-id="${data.technician_id}"></span>`,
      iconSize: [14, 14],
    });
  }

  function upsertTech(data) {
    const known = state.techs.get(data.technician_id);
    const merged = { ...(known ? known.data : {}), ...data };
    if (known) {
      if (data.lat !== undefined) known.marker.setLatLng([merged.lat, merged.lon]);
      known.marker.setIcon(techIcon(merged));
      known.data = merged;
    } else if (merged.lat !== undefined) {
      const marker = L.marker([merged.lat, merged.lon], { icon: techIcon(merged) }).addTo(state.layers.techs);
      marker.on("click", () => showDetail(merged.technician_id));
      state.techs.set(merged.technician_id, { marker, data: merged });
    }
    renderTechList();
  }

  let listTimer = null;
  function renderTechList() {
    // Many updates a second: redraw the list at most every 500 ms.
    if (listTimer) return;
    listTimer = setTimeout(() => {
      listTimer = null;
      const rows = [...state.techs.values()].sort((a, b) => a.data.technician_id - b.data.technician_id);
      $("tech-count").textContent = rows.length;
      $("technicians").replaceChildren(...rows.map(techItem));
      fillReplaySelect(rows);
    }, 500);
  }

  function techItem({ data }) {
    const li = document.createElement("li");
    const status = data.online === false ? "offline" : data.status;
    li.innerHTML = `<i class="dot s-${status}"></i>`;
    li.append(`${data.name || "Technician"} #${data.technician_id} · ${window.GW ? window.GW.status(status) : status || "?"}`);
    li.dataset.technicianId = data.technician_id;
    li.addEventListener("click", () => showDetail(data.technician_id));
    return li;
  }

  function fillReplaySelect(rows) {
    const select = $("replay-tech");
    const chosen = select.value;
    select.replaceChildren(...rows.map(({ data }) => new Option(`${data.name || "Technician"} #${data.technician_id}`, data.technician_id)));
    if (chosen) select.value = chosen;
  }

  async function loadLive() {
    const live = await api("/api/console/v1/tracking/live");
    live.items.forEach(upsertTech);
  }

  // --- skill radar -----------------------------------------------------------------------------

  async function showDetail(technicianId) {
    const tech = state.techs.get(technicianId);
    $("detail").hidden = false;
    $("detail-title").textContent = `${(tech && tech.data.name) || "Technician"} #${technicianId}`;
    $("replay-tech").value = technicianId;
    if (tech) state.map.panTo(tech.marker.getLatLng());
    try {
      const profile = await api(`/api/console/v1/technicians/${technicianId}/skill-profile`);
      drawRadar(profile.dimensions || []);
      $("radar-note").textContent = `as of ${profile.as_of}`;
    } catch (error) {
      drawRadar([]);
      $("radar-note").textContent = "no skill profile";
    }
  }

  function drawRadar(dimensions) {
    const canvas = $("radar");
    const ctx = canvas.getContext("2d");
    const cx = canvas.width / 2, cy = canvas.height / 2 + 6, r = 72, n = dimensions.length;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (n < 3) return;
    const at = (i, v) => {
      const a = -Math.PI / 2 + (2 * Math.PI * i) / n;
      return [cx + Math.cos(a) * r * v, cy + Math.sin(a) * r * v];
    };
    ctx.strokeStyle = "#d0d7e2";
    for (const ring of [0.25, 0.5, 0.75, 1]) polygon(ctx, dimensions.map((_, i) => at(i, ring)), false);
    ctx.fillStyle = "#1d2433";
    ctx.font = "11px system-ui";
    ctx.textAlign = "center";
    dimensions.forEach((d, i) => {
      const [x, y] = at(i, 1.22);
      ctx.fillText(`${d.label} ${d.value}`, x, y);
    });
    ctx.strokeStyle = "#0969da";
    ctx.fillStyle = "#0969da44";
    polygon(ctx, dimensions.map((d, i) => at(i, Math.max(0, Math.min(100, d.value)) / 100)), true);
  }

  function polygon(ctx, points, fill) {
    ctx.beginPath();
    points.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    ctx.closePath();
    if (fill) ctx.fill();
    ctx.stroke();
  }

  // --- replay ----------------------------------------------------------------------------------

  function localInput(date) {
    const pad = (v) => String(v).padStart(2, "0");
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  }

  function defaultRange() {
    const now = new Date();
    $("replay-end").value = localInput(new Date(now.getTime() + 60_000));
    $("replay-start").value = localInput(new Date(now.getTime() - 3600_000));
  }

  function replayPlayer() {
    // One player (static/replay/replay.js) for this page's replays.
    if (!state.replay) {
      state.replay = GWReplay.player(state.map, state.layers.replay, { onStop: () => { $("replay-stop").disabled = true; } });
    }
    return state.replay;
  }

  async function loadReplay() {
    const player = replayPlayer();
    player.stop();
    const id = $("replay-tech").value;
    if (!id) return;
    const start = new Date($("replay-start").value).toISOString();
    const end = new Date($("replay-end").value).toISOString();
    const track = await api(`/api/console/v1/technicians/${id}/track?start=${encodeURIComponent(start)}&end=${encodeURIComponent(end)}&tolerance_m=3`);
    player.load(track);
    const p = track.properties;
    $("replay-summary").textContent =
      `${(p.distance_m / 1000).toFixed(2)} km in ${GWReplay.formatDuration(p.duration_s)} · ${p.points} fixes, ${player.coords.length} vertices` +
      (Object.keys(p.flagged || {}).length ? ` · flagged: ${JSON.stringify(p.flagged)}` : "");
    $("replay-events").replaceChildren(...(p.events || []).map(eventItem));
    $("replay-play").disabled = !player.playable();
  }

  function eventItem(e) {
    const li = document.createElement("li");
    li.textContent = `${new Date(e.t * 1000).toLocaleTimeString()} ${e.kind}: ${e.value}`;
    return li;
  }

  function playReplay() {
    replayPlayer().play(() => Number($("replay-speed").value));
    $("replay-stop").disabled = false;
  }

  function stopReplay(keepMarker) {
    replayPlayer().stop(keepMarker);
    $("replay-stop").disabled = true;
  }

  $("replay-load").addEventListener("click", () => loadReplay().catch((e) => ($("replay-summary").textContent = e.message)));
  $("replay-play").addEventListener("click", playReplay);
  $("replay-stop").addEventListener("click", () => stopReplay(false));

  // --- live socket -----------------------------------------------------------------------------

  function connectSocket() {
    const socket = io("/console", { auth: (cb) => cb({ token: state.token }), transports: ["websocket"] });
    socket.on("connect", () => { $("socket-state").textContent = "live"; $("socket-state").classList.add("on"); });
    socket.on("disconnect", () => { $("socket-state").textContent = "offline"; $("socket-state").classList.remove("on"); });
    socket.on("connect_error", async () => { await refreshToken(); });
    socket.on("positions", (batch) => batch.items.forEach(upsertTech));
    socket.on("technician_status", (d) => upsertTech({ technician_id: d.technician_id, status: d.status }));
    socket.on("presence", (d) => upsertTech({ technician_id: d.technician_id, online: d.online }));
    socket.on("order_status", () => drawOrders());
    socket.on("plan_progress", (d) => {
      document.dispatchEvent(new CustomEvent("gw:plan_progress", { detail: d }));
      if (d.status === "solved" || d.status === "published") drawRoutes();
    });
    state.socket = socket;
  }

  function claims() {
    // The access token's payload (not verified here: the server checks every call).
    try {
      return JSON.parse(atob(state.token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
    } catch (error) {
      return {};
    }
  }

  // --- start -----------------------------------------------------------------------------------

  async function start() {
    $("signin").hidden = true;
    $("app").hidden = false;
    if (!state.map) initMap();
    state.map.invalidateSize();
    defaultRange();
    try {
      $("whoami").textContent = window.GW ? window.GW.t(`role.${claims().role}`) : claims().role || "?";
      await drawRegions();
      await loadLive();
      connectSocket();
      drawSites();
      drawOrders();
      drawRoutes();
      state.ready = true;
      document.dispatchEvent(new CustomEvent("gw:console_ready"));
    } catch (error) {
      sessionStorage.clear();
      $("app").hidden = true;
      $("signin").hidden = false;
      $("signin-error").textContent = `Could not load the console: ${error.message}`;
    }
  }

  if (state.token) start();
})();
