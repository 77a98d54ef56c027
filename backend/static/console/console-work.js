/* The console as a place to work, on top of console.js (window.gridworkConsole): an order's
   candidates and the reasons the others are left out, assign / auto-assign / publish / cancel;
   planning a region with live progress (plan_progress), routes with ETAs, unassigned orders with
   reasons, publish; approvals (profiles, skills with their evidence, role changes); webhook dead
   letters and replay; the KPI dashboard whose figures open the lists behind them; CSV of lists. */
(() => {
  "use strict";
  const C = window.gridworkConsole;
  const GW = window.GW;
  const $ = (id) => document.getElementById(id);
  const CONSOLE = "/api/console/v1";
  const POLICIES = ["urgent-first", "nearest-first", "balanced"];

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
  const button = (label, onclick, cls = "") => el("button", { type: "button", class: cls, onclick }, label);
  const say = (id, text, ok = true) => { $(id).textContent = text; $(id).className = `note ${ok ? "ok" : "error"}`; };

  // --- tabs --------------------------------------------------------------------------------------

  const PANES = { map: null, kpis: loadKpis, plan: loadPlanPane, approvals: loadApprovals, dead: loadDead };
  function show(name) {
    if (!(name in PANES)) name = "map";
    for (const pane of Object.keys(PANES)) $(`pane-${pane}`).hidden = pane !== name;
    document.querySelectorAll("#tabs a").forEach((a) => a.classList.toggle("on", a.hash === `#${name}`));
    C.pane = name;
    if (C.ready && PANES[name]) PANES[name]().catch((e) => console.error(e));
  }
  window.addEventListener("hashchange", () => show(location.hash.slice(1)));

  // --- one order: candidates, assign, publish, cancel ---------------------------------------------

  async function openOrder(orderId) {
    show("map");
    const [order, found] = await Promise.all([
      C.api(`/api/v1/orders/${orderId}`).catch(() => (C.orders || []).find((o) => o.id === orderId)),
      C.api(`${CONSOLE}/orders/${orderId}/candidates`),
    ]);
    C.order = order;
    $("order-detail").hidden = false;
    $("od-title").textContent = `#${order.id} ${order.client_ref || ""}`;
    const flag = C.orderFlag(order);
    $("od-summary").textContent = [GW.t(`priority.${order.priority}`), GW.status(order.status), order.work_type,
      `${GW.t("orders.sla")} ${GW.date(order.sla_deadline)}`, flag ? GW.t(`flag.${flag}`) : ""].filter(Boolean).join(" · ");
    const actions = [button(GW.t("console.auto_assign"), () => run(`${CONSOLE}/orders/${orderId}/auto-assign`, orderId))];
    if (order.allowed_transitions && order.allowed_transitions.includes("published")) actions.push(button(GW.t("act.publish"), () => run(`/api/v1/orders/${orderId}/publish`, orderId)));
    if (order.allowed_transitions && order.allowed_transitions.includes("cancelled")) {
      actions.push(button(GW.t("act.cancel"), () => run(`/api/v1/orders/${orderId}/cancel`, orderId, { reason: prompt(GW.t("act.reason")) || "—" }), "danger"));
    }
    $("od-actions").replaceChildren(...actions);
    const names = new Map([...C.techs.values()].map(({ data }) => [data.technician_id, data.name]));
    $("od-candidates").tBodies[0].replaceChildren(...found.candidates.map((c) => el("tr", { dataset: { technicianId: c.technician_id } },
      el("td", {}, `${names.get(c.technician_id) || ""} #${c.technician_id}`),
      el("td", {}, c.distance_m === null ? "–" : `${GW.number(c.distance_m / 1000, 1)} km`),
      el("td", {}, `${GW.t("console.load")} ${c.load}`), el("td", {}, c.rating === null ? "–" : GW.number(c.rating, 1)),
      el("td", {}, button(GW.t("act.assign"), () => run(`${CONSOLE}/orders/${orderId}/assign`, orderId, { technician_id: c.technician_id }), "assign")))));
    $("od-excluded").replaceChildren(...found.excluded.map((x) => el("li", { dataset: { technicianId: x.technician_id } },
      `${names.get(x.technician_id) || ""} #${x.technician_id}: ${x.reasons.join(", ")}`)));
    $("od-result").textContent = "";
    showEvidence(orderId).catch(() => $("od-evidence").replaceChildren());
  }

  async function showEvidence(orderId) {
    // The delivery's files, each a download (fetched with the token: a plain link cannot send it).
    const { items } = await C.api(`/api/v1/orders/${orderId}/evidence`);
    $("od-evidence").replaceChildren(...(items.length ? items.map((f) => el("li", { dataset: { sha256: f.sha256 } },
      el("a", { href: "#", class: "download", onclick: (event) => { event.preventDefault(); download(f).catch((e) => say("od-result", e.message, false)); } }, f.file_name),
      ` · ${f.content_type}`)) : [el("li", {}, GW.t("evidence.none"))]));
  }

  async function download(file) {
    const response = await fetch(file.url, { headers: { authorization: `Bearer ${C.token}` } });
    if (!response.ok) throw new Error(`${response.status} ${file.url}`);
    const link = el("a", { href: URL.createObjectURL(await response.blob()), download: file.file_name });
    document.body.append(link);
    link.click();
    link.remove();
  }
  C.openOrder = (id) => openOrder(id).catch((e) => say("od-result", e.message, false));

  async function run(path, orderId, json = {}) {
    try {
      const order = await C.api(path, { method: "POST", body: JSON.stringify(json) });
      say("od-result", `#${order.id} → ${GW.status(order.status)}${order.technician_id ? ` (#${order.technician_id})` : ""}`);
      C.lastAction = { orderId, status: order.status, technician_id: order.technician_id };
      await C.drawOrders();
    } catch (error) {
      say("od-result", error.message, false);
    }
  }

  // Drag an order from the list onto a technician in the list to assign it.
  document.addEventListener("dragstart", (event) => {
    const li = event.target.closest && event.target.closest("li.order");
    if (li) event.dataTransfer.setData("text/order", li.dataset.orderId);
  });
  $("technicians").addEventListener("dragover", (event) => event.preventDefault());
  $("technicians").addEventListener("drop", (event) => {
    event.preventDefault();
    const orderId = Number(event.dataTransfer.getData("text/order"));
    const li = event.target.closest("li[data-technician-id]");
    if (orderId && li) run(`${CONSOLE}/orders/${orderId}/assign`, orderId, { technician_id: Number(li.dataset.technicianId) });
  });
  new MutationObserver(() => document.querySelectorAll("#orders li.order").forEach((li) => { li.draggable = true; }))
    .observe($("orders"), { childList: true });

  $("orders-csv").addEventListener("click", () => GW.download("orders.csv", GW.toCsv([
    ["id", (o) => o.id], ["client_ref", (o) => o.client_ref], ["priority", (o) => o.priority], ["status", (o) => o.status],
    ["sla_deadline", (o) => o.sla_deadline], ["flag", (o) => C.orderFlag(o)], ["technician_id", (o) => o.technician_id],
  ], C.orders || [])));

  // --- KPIs ----------------------------------------------------------------------------------------

  const KPI_LISTS = {
    orders_open: () => ordersList(""), orders_late: () => ordersList("&sla_breached=true"), orders_at_risk: () => ordersList("&sla_at_risk=true"),
    technicians_online: () => techList("?online=true"), technicians_on_shift: () => techList("?state=approved"), technicians_idle: () => techList("?online=true"),
    points_today: () => todayWork(), pay_today: () => todayWork(),
  };

  async function loadKpis() {
    const k = await C.api(`${CONSOLE}/kpis?tz=${encodeURIComponent(Intl.DateTimeFormat().resolvedOptions().timeZone || "Asia/Shanghai")}`);
    C.kpis = k;
    const shown = {
      orders_open: GW.number(k.orders_open), orders_late: GW.number(k.orders_late), orders_at_risk: GW.number(k.orders_at_risk),
      technicians_online: GW.number(k.technicians_online), technicians_on_shift: GW.number(k.technicians_on_shift),
      technicians_idle: GW.number(k.technicians_idle), utilisation: GW.percent(k.utilisation),
      avg_response_s: k.avg_response_s === null ? "–" : GW.t("kpi.seconds", { n: GW.number(k.avg_response_s) }),
      checkin_on_time_rate: GW.percent(k.checkin_on_time_rate), points_today: GW.number(k.points_today, 2),
      pay_today: GW.money(k.pay_today_fen),
    };
    $("kpis").replaceChildren(...Object.entries(shown).map(([key, value]) => {
      const tile = el(KPI_LISTS[key] ? "a" : "div", { class: `kpi k-${key}`, href: KPI_LISTS[key] ? `#kpis` : null, dataset: { kpi: key } },
        el("strong", {}, value), el("span", {}, GW.t(`kpi.${key}`)));
      if (KPI_LISTS[key]) tile.addEventListener("click", (event) => { event.preventDefault(); $("kpi-list-title").textContent = GW.t(`kpi.${key}`); KPI_LISTS[key](); });
      return tile;
    }));
    await drawCharts();
  }

  async function todayWork() {
    // The orders behind today's points and pay (each client's work day), priced as the daily records will be.
    const work = await C.api(`${CONSOLE}/kpis/today-work`);
    C.todayWork = work;
    showList(work.items.map((w) => [`#${w.order_id} · ${w.work_type} · #${w.technician_id} · ${GW.number(w.points, 2)} · ${GW.money(w.pay_fen)}`, () => C.openOrder(w.order_id)]),
      [["order_id", (w) => w.order_id], ["org_id", (w) => w.org_id], ["technician_id", (w) => w.technician_id], ["work_type", (w) => w.work_type],
        ["verified_at", (w) => w.verified_at], ["points", (w) => w.points], ["pay_fen", (w) => w.pay_fen]], work.items);
    $("kpi-list").prepend(el("li", { class: "total" }, `${GW.t("kpi.total")} ${GW.number(work.points, 2)} · ${GW.money(work.pay_fen)}`));
  }

  function chart(id) {
    const node = $(id);
    const existing = echarts.getInstanceByDom(node);
    if (existing) existing.dispose();
    const instance = echarts.init(node, null, { renderer: "svg" });
    instance.setOption({ animation: false }); // drawn at once (and whole in screenshots)
    return instance;
  }

  function noData(rows) {
    // An empty chart says so instead of showing bare axes.
    return rows.length ? {} : { title: { text: GW.t("charts.no_data"), left: "center", top: "middle", textStyle: { color: "#8c959f", fontSize: 13 } } };
  }

  async function drawCharts() {
    // Orders per day by status and on-time rate per region, over my regions (GET /kpis' sibling /stats).
    const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || "Asia/Shanghai";
    const stats = await C.api(`${CONSOLE}/stats?days=14&tz=${encodeURIComponent(tz)}`);
    C.stats = stats;
    const days = [...new Set(stats.orders_per_day.map((r) => r.day))].sort();
    const statuses = [...new Set(stats.orders_per_day.map((r) => r.status))];
    const count = (day, status) => (stats.orders_per_day.find((r) => r.day === day && r.status === status) || { orders: 0 }).orders;
    chart("chart-console-per-day").setOption({
      ...noData(days),
      tooltip: { trigger: "axis" }, legend: { data: statuses.map(GW.status), type: "scroll", top: 0 }, grid: { left: 36, right: 10, top: 40, bottom: 30 },
      xAxis: { type: "category", data: days.map((d) => d.slice(5)) }, yAxis: { type: "value", minInterval: 1 },
      series: statuses.map((s) => ({ name: GW.status(s), type: "bar", stack: "all", data: days.map((d) => count(d, s)) })),
    });
    const regionName = (r) => r.region || (r.region_id ? `#${r.region_id}` : GW.t("none"));
    chart("chart-console-sla").setOption({
      ...noData(stats.sla_per_region),
      tooltip: { trigger: "axis" }, legend: { data: [GW.t("charts.on_time"), GW.t("charts.breaches")], top: 0 }, grid: { left: 36, right: 36, top: 40, bottom: 30 },
      xAxis: { type: "category", data: stats.sla_per_region.map(regionName) },
      yAxis: [{ type: "value", max: 100, axisLabel: { formatter: "{value}%" } }, { type: "value", minInterval: 1 }],
      series: [
        { name: GW.t("charts.on_time"), type: "bar", data: stats.sla_per_region.map((r) => Math.round(r.on_time_rate * 1000) / 10) },
        { name: GW.t("charts.breaches"), type: "line", yAxisIndex: 1, data: stats.sla_per_region.map((r) => r.breached) },
      ],
    });
    C.charted = true;
  }

  async function ordersList(query) {
    const rows = await C.pages(`${CONSOLE}/orders?status=published,offered,assigned,accepted,en_route,on_site${query}`, "items", 200, 2000);
    showList(rows.map((o) => [`#${o.id} ${o.client_ref} · ${GW.t(`priority.${o.priority}`)} · ${GW.status(o.status)}`, () => C.openOrder(o.id)]),
      [["id", (o) => o.id], ["client_ref", (o) => o.client_ref], ["priority", (o) => o.priority], ["status", (o) => o.status], ["sla_deadline", (o) => o.sla_deadline]], rows);
  }

  async function techList(query) {
    const rows = await C.pages(`${CONSOLE}/technicians${query}`, "items", 200, 2000);
    showList(rows.map((t) => [`${t.name} #${t.id} · ${t.role ? t.role.code : ""}`, null]),
      [["id", (t) => t.id], ["name", (t) => t.name], ["status", (t) => t.status]], rows);
  }

  function showList(items, columns, rows) {
    $("kpi-list").replaceChildren(...items.map(([text, onclick]) => el("li", onclick ? { onclick } : {}, text)));
    $("kpi-csv").hidden = false;
    $("kpi-csv").onclick = () => GW.download("list.csv", GW.toCsv(columns, rows));
  }

  // --- planning ------------------------------------------------------------------------------------

  async function loadPlanPane() {
    if (!$("plan-region").options.length) {
      const regions = await C.pages("/api/v1/regions", "features");
      $("plan-region").replaceChildren(...regions.map((f) => new Option(`${f.properties.name || f.properties.code}`, f.id ?? f.properties.id)));
      $("plan-policy").replaceChildren(...POLICIES.map((p) => new Option(p, p)));
    }
    const plans = await C.pages(`${CONSOLE}/plans`, "items", 100, 500);
    C.plans = plans;
    showCurrent();
  }

  function currentPlan(regionId) {
    return (C.plans || []).filter((p) => p.status === "published" && p.region_id === regionId).pop();
  }

  function showCurrent() {
    const current = currentPlan(Number($("plan-region").value));
    $("plan-current").textContent = current
      ? `${GW.t("plan.current")}: #${current.id} ${current.policy} · ${GW.t("plan.served", { served: current.stats.served ?? "–", orders: current.stats.orders ?? "–" })}`
      : GW.t("plan.no_current");
    $("plan-replan").disabled = !current;
    if (!current) $("plan-replan").checked = false;
  }
  $("plan-region").addEventListener("change", showCurrent);

  $("plan-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { region_id: Number($("plan-region").value), policy: $("plan-policy").value, time_limit_s: Number($("plan-time").value) };
    const current = currentPlan(body.region_id);
    if ($("plan-replan").checked && current) body.previous_plan_id = current.id; // warm start, pinned work kept
    try {
      const plan = await C.api(`${CONSOLE}/plans`, { method: "POST", body: JSON.stringify(body) });
      C.plan = plan;
      planStatus(plan);
      $("plan-cancel").disabled = false;
      followPlan(plan.id);
    } catch (error) {
      $("plan-status").textContent = error.message;
    }
  });

  function planStatus(plan) {
    $("plan-status").textContent = `#${plan.id} ${plan.status}${plan.stage ? ` · ${plan.stage}` : ""}`;
    const steps = { queued: 5, running: 50, solved: 100, published: 100, failed: 100, cancelled: 100 };
    $("plan-bar").value = plan.progress ?? steps[plan.status] ?? 0;
  }

  document.addEventListener("gw:plan_progress", (event) => {
    const d = event.detail;
    if (C.plan && d.plan_id === C.plan.id) {
      planStatus({ ...C.plan, ...d, id: C.plan.id });
      if (["solved", "failed", "cancelled"].includes(d.status)) showPlan(C.plan.id);
    }
  });

  function followPlan(planId) {
    // The socket event says when; polling covers a missed event (every 2 s until finished).
    clearInterval(C.planTimer);
    C.planTimer = setInterval(async () => {
      const plan = await C.api(`${CONSOLE}/plans/${planId}`);
      planStatus(plan);
      if (!["queued", "running"].includes(plan.status)) { clearInterval(C.planTimer); showPlan(planId, plan); }
    }, 2000);
  }

  async function showPlan(planId, plan) {
    plan = plan || (await C.api(`${CONSOLE}/plans/${planId}`));
    C.plan = plan;
    planStatus(plan);
    $("plan-cancel").disabled = true;
    $("plan-publish").disabled = plan.status !== "solved";
    C.layers.routes.clearLayers();
    for (const route of plan.routes || []) {
      if (route.geometry) L.geoJSON(route.geometry, { style: { color: "#8250df", weight: 3 } }).bindTooltip(`#${route.technician_id}`).addTo(C.layers.routes);
    }
    $("plan-routes").replaceChildren(...(plan.routes || []).map((r) => el("li", { dataset: { technicianId: r.technician_id } },
      `#${r.technician_id} · ${GW.number(r.travel_m / 1000, 1)} km: `,
      ...r.stops.map((s) => el("span", { class: `stop${s.lateness_s > 0 ? " late" : ""}` }, ` #${s.order_id} ${GW.t("plan.eta")} ${GW.date(s.eta)}`)))));
    $("plan-unassigned").replaceChildren(...(plan.unassigned || []).map((u) => el("li", { dataset: { orderId: u.order_id } }, `#${u.order_id}: ${why(u.reason)}${u.detail ? ` (${u.detail})` : ""}`)));
    $("plan-techs").tBodies[0].replaceChildren(...(plan.technicians || []).map((t) => el("tr", { dataset: { technicianId: t.technician_id } },
      el("td", {}, techName(t.technician_id)), el("td", {}, String(t.stops)),
      el("td", {}, `${GW.number(t.travel_m / 1000, 1)} km · ${minutes(t.travel_s)}`),
      el("td", { class: t.lateness_s > 0 ? "worse" : "" }, t.lateness_s > 0 ? `${minutes(t.lateness_s)} (${t.late_stops})` : "0"),
      el("td", {}, GW.percent(t.utilisation)))));
    C.planShown = plan.id;
    $("plan-compare").hidden = true;
    if (plan.status === "solved") await showCompare(plan.id);
  }

  const techName = (id) => { const t = C.techs && C.techs.get(id); return `${t && t.data.name ? t.data.name : ""} #${id}`; };
  const minutes = (s) => GW.t("plan.minutes", { n: GW.number(s / 60, 0) });
  const why = (code) => (GW.t(`why.${code}`) === `why.${code}` ? code : GW.t(`why.${code}`));

  async function showCompare(planId) {
    // What publishing would change against the plan in force: moves, new and dropped orders, with why.
    const diff = await C.api(`${CONSOLE}/plans/${planId}/compare`);
    C.comparison = diff;
    $("plan-compare").hidden = false;
    $("plan-compare").dataset.currentPlanId = diff.current_plan_id ?? "";
    $("plan-compare-with").textContent = diff.current_plan_id ? `#${diff.current_plan_id}` : GW.t("plan.no_current");
    const rows = [["plan.stops", "stops", (v) => GW.number(v)], ["plan.travel", "travel_m", (v) => `${GW.number(v / 1000, 1)} km`],
      ["plan.lateness", "lateness_s", minutes], ["plan.unassigned", "unassigned", (v) => GW.number(v)]];
    $("plan-compare-totals").tBodies[0].replaceChildren(...rows.map(([label, key, show]) => {
      const t = diff.totals[key];
      return el("tr", { dataset: { total: key } }, el("td", {}, GW.t(label)), el("td", {}, show(t.before)), el("td", {}, show(t.after)),
        el("td", { class: t.delta > 0 ? "worse" : t.delta < 0 ? "better" : "" }, `${t.delta > 0 ? "+" : t.delta < 0 ? "−" : ""}${show(Math.abs(t.delta))}`));
    }));
    const none = () => [el("li", { class: "none" }, GW.t("none"))];
    const list = (items, text) => (items.length ? items.map((x) => el("li", { dataset: { orderId: x.order_id } }, text(x))) : none());
    $("plan-compare-moved").replaceChildren(...list(diff.moved, (m) =>
      `#${m.order_id}: ${techName(m.from_technician_id)} → ${techName(m.to_technician_id)} · ${why(m.why)} (${m.detail})`));
    $("plan-compare-newly").replaceChildren(...list(diff.newly_assigned, (n) =>
      `#${n.order_id} → ${techName(n.technician_id)} · ${GW.t("plan.eta")} ${GW.date(n.eta)} · ${why(n.why)}`));
    $("plan-compare-dropped").replaceChildren(...list(diff.dropped, (d) =>
      `#${d.order_id} (${techName(d.from_technician_id)}): ${why(d.why)} · ${d.detail}`));
    $("plan-compare-techs").tBodies[0].replaceChildren(...diff.technicians.map((t) => el("tr", { dataset: { technicianId: t.technician_id } },
      el("td", {}, techName(t.technician_id)),
      el("td", {}, `${t.before ? t.before.stops : 0} → ${t.after ? t.after.stops : 0}`),
      el("td", { class: t.delta.travel_m > 0 ? "worse" : t.delta.travel_m < 0 ? "better" : "" }, `${t.delta.travel_m >= 0 ? "+" : "−"}${GW.number(Math.abs(t.delta.travel_m) / 1000, 1)} km`),
      el("td", { class: t.delta.lateness_s > 0 ? "worse" : t.delta.lateness_s < 0 ? "better" : "" }, `${t.delta.lateness_s >= 0 ? "+" : "−"}${minutes(Math.abs(t.delta.lateness_s))}`),
      el("td", {}, `${GW.percent(t.before ? t.before.utilisation : 0)} → ${GW.percent(t.after ? t.after.utilisation : 0)}`))));
    C.compared = planId;
  }

  $("plan-cancel").addEventListener("click", async () => { if (C.plan) planStatus(await C.api(`${CONSOLE}/plans/${C.plan.id}/cancel`, { method: "POST" })); });
  $("plan-publish").addEventListener("click", async () => {
    const plan = await C.api(`${CONSOLE}/plans/${C.plan.id}/publish`, { method: "POST" });
    planStatus(plan);
    $("plan-publish").disabled = true;
    C.planPublished = plan;
    C.plans = await C.pages(`${CONSOLE}/plans`, "items", 100, 500);
    showCurrent();
    await C.drawOrders();
  });

  // --- approvals -----------------------------------------------------------------------------------

  async function loadApprovals() {
    const submitted = await C.pages(`${CONSOLE}/technicians?state=submitted`, "items", 200, 500);
    $("ap-profiles").replaceChildren(...submitted.map((t) => el("li", { dataset: { technicianId: t.id } },
      `${t.name} #${t.id} · ${t.role ? t.role.code : ""} · ${t.id_number || ""} `,
      button(GW.t("approvals.approve"), () => decide(`${CONSOLE}/technicians/${t.id}/review`, "approve")),
      button(GW.t("approvals.reject"), () => decide(`${CONSOLE}/technicians/${t.id}/review`, "reject"), "danger"))));
    const technicians = await C.pages(`${CONSOLE}/technicians`, "items", 200, 500);
    const details = await Promise.all(technicians.map((t) => C.api(`${CONSOLE}/technicians/${t.id}`)));
    const pending = details.flatMap((d) => d.skills.filter((s) => s.state === "pending").map((s) => ({ ...s, name: d.name })));
    $("ap-skills").replaceChildren(...pending.map((s) => el("li", { dataset: { skillId: s.id } },
      `${s.name} #${s.technician_id} · ${s.skill_name || s.skill} L${s.level}${s.certificate_no ? ` · ${s.certificate_no}` : ""} · ${GW.t("approvals.evidence")}: `,
      el("code", { title: s.evidence_sha256 || "" }, s.evidence_sha256 ? s.evidence_sha256.slice(0, 12) : GW.t("none")), " ",
      button(GW.t("approvals.approve"), () => decide(`${CONSOLE}/technician-skills/${s.id}/decision`, "verify"), "verify"),
      button(GW.t("approvals.reject"), () => decide(`${CONSOLE}/technician-skills/${s.id}/decision`, "reject"), "danger"))));
    const roles = await C.pages(`${CONSOLE}/role-change-requests?state=pending`, "items", 200, 500);
    $("ap-roles").replaceChildren(...roles.map((r) => el("li", {},
      `#${r.technician_id}: ${r.from_role ? r.from_role.code : "–"} → ${r.to_role.code}${r.reason ? ` (${r.reason})` : ""} `,
      button(GW.t("approvals.approve"), () => decide(`${CONSOLE}/role-change-requests/${r.id}/decision`, "approve")),
      button(GW.t("approvals.reject"), () => decide(`${CONSOLE}/role-change-requests/${r.id}/decision`, "reject"), "danger"))));
    await loadTeamsAndDisputes();
    C.approvalsShown = true;
  }

  async function loadTeamsAndDisputes() {
    const teams = await C.pages(`${CONSOLE}/team-change-requests?state=pending`, "items", 200, 500).catch(() => []);
    $("ap-teams").replaceChildren(...teams.map((r) => el("li", { dataset: { teamRequestId: r.id } },
      `#${r.technician_id}: ${GW.t(`team.${r.change}`)}${r.leader_id ? ` → #${r.leader_id}` : ""}${r.reason ? ` (${r.reason})` : ""} `,
      button(GW.t("approvals.approve"), () => decideTeam(r.id, "approve")),
      button(GW.t("approvals.reject"), () => decideTeam(r.id, "reject"), "danger"))));
    // Disputes are resolved by platform admins (platform:manage); others do not see the list.
    const disputed = await C.pages(`${CONSOLE}/work-records?state=disputed`, "items", 200, 500).catch(() => null);
    $("ap-disputes-box").hidden = disputed === null;
    if (!disputed) return;
    const full = await Promise.all(disputed.map((r) => C.api(`${CONSOLE}/work-records/${r.id}`)));
    $("ap-disputes").replaceChildren(...full.map((r) => {
      const dispute = (r.confirmations || []).filter((c) => c.decision === "dispute").pop() || {};
      const orders = dispute.disputed_order_ids || [];
      return el("li", { dataset: { recordId: r.id } },
        `${r.work_date} · org ${r.org_id} · #${r.technician_id} v${r.version} · ${GW.t(`party.${dispute.party}`)}: ${dispute.reason || ""} ${orders.map((o) => `#${o}`).join(" ")} `,
        orders.length ? button(GW.t("approvals.remove_orders"), () => adjustRecord(r.id, orders, dispute.reason), "adjust") : null);
    }));
  }

  async function decideTeam(id, decision) {
    await C.api(`${CONSOLE}/team-change-requests/${id}/${decision}`, { method: "POST", body: JSON.stringify({ note: "console" }) });
    await loadTeamsAndDisputes();
  }

  async function adjustRecord(recordId, orderIds, reason) {
    await C.api(`${CONSOLE}/work-records/${recordId}/adjust`, { method: "POST", body: JSON.stringify({ reason: `console: ${reason || ""}`.slice(0, 1000), remove_order_ids: orderIds }) });
    await loadTeamsAndDisputes();
  }

  async function decide(path, decision) {
    await C.api(path, { method: "POST", body: JSON.stringify({ decision, note: "console" }) });
    C.lastDecision = { path, decision };
    await loadApprovals();
  }

  // --- webhook dead letters ------------------------------------------------------------------------

  async function loadDead() {
    const dead = await C.pages(`${CONSOLE}/webhook-deliveries?state=dead`, "items", 200, 1000);
    C.dead = dead;
    $("dead-list").replaceChildren(...(dead.length ? dead.map((d) => el("li", { dataset: { deliveryId: d.id } },
      `#${d.id} ${d.event} · org ${d.org_id} · ${d.attempts}× · ${d.last_status ?? ""} ${d.last_error || ""} `,
      button(GW.t("webhooks.replay"), async () => { await C.api(`${CONSOLE}/webhook-deliveries/${d.id}/replay`, { method: "POST" }); await loadDead(); }, "replay")))
      : [el("li", {}, GW.t("dead.none"))]));
  }
  $("dead-csv").addEventListener("click", () => GW.download("dead-letters.csv", GW.toCsv(
    [["id", (d) => d.id], ["event", (d) => d.event], ["org_id", (d) => d.org_id], ["attempts", (d) => d.attempts], ["last_error", (d) => d.last_error]], C.dead || [])));

  // --- start ---------------------------------------------------------------------------------------

  document.addEventListener("gw:console_ready", () => show(location.hash.slice(1) || "map"));
  document.addEventListener("gw:lang", () => { if (C.ready) { C.drawOrders(); show(C.pane); } });
  GW.load().then(() => {
    document.querySelectorAll("select.lang").forEach(GW.bindSwitch);
    document.querySelectorAll("select.lang").forEach((s) => s.addEventListener("change", () => document.querySelectorAll("select.lang").forEach((o) => { o.value = s.value; })));
  });
})();
