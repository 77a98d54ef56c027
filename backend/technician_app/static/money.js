/* The technician's money: earnings per day and month (gross, tax withheld, net, and the figures
 * behind each one) from GET /earnings, and the daily work records to confirm or dispute from
 * /work-records. Amounts arrive as integer fen and are shown as ¥ with two decimals.
 * Views: #/earnings[/YYYY-MM], #/records, #/records/<id>. */
(function () {
  "use strict";
  const { api, t, esc, money, tabs, view, toast, app } = window.gw;

  // --- small formatters ------------------------------------------------------------------------

  function thisMonth() {
    const now = new Date();
    return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}`;
  }

  function shiftMonth(month, by) {
    const [year, m] = month.split("-").map(Number);
    const index = year * 12 + (m - 1) + by;
    return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, "0")}`;
  }

  // The tax rate arrives as an exact fraction ("3/100", "0"): shown as a percentage.
  function percent(rate) {
    const [num, den] = String(rate || "0").split("/").map(Number);
    return `${+((num / (den || 1)) * 100).toFixed(2)}%`;
  }

  function figures(rows) {
    return `<dl class="figures">${rows.map(([key, value, cls]) => `<dt>${t(key)}</dt><dd class="${cls || ""}">${value}</dd>`).join("")}</dl>`;
  }

  // One priced line of a record: its points, the price of a point and the pay they make.
  function lineRow(line, checkable) {
    const what = line.kind === "order"
      ? `${t("order_no", { id: line.order_id })} ${esc(line.work_type)}`
      : `${esc(line.client_ref)} ${esc(line.work_type)} · ${esc(line.quantity)} ${esc(line.unit)} × ${esc(line.points_per_unit)}`;
    const price = line.fen_per_point == null
      ? t("points_only", { points: esc(line.points) })
      : t("points_times_price", { points: esc(line.points), fen: esc(line.fen_per_point), pay: money(line.pay_fen) });
    const rerated = line.rerated_from != null ? ` <span class="muted">${t("rerated_from", { points: esc(line.rerated_from) })}</span>` : "";
    const box = checkable && line.kind === "order"
      ? `<input type="checkbox" class="disputed" value="${line.order_id}" aria-label="${t("dispute_this", { id: line.order_id })}">`
      : "";
    return `<li class="line" data-order-id="${line.order_id || ""}">${box}<span>${what}</span>
      <span class="price">${price}${rerated}</span></li>`;
  }

  // A share: per line it names its basis points; summed per recipient it names its orders.
  function shareRows(shares) {
    return shares.map((s) => {
      const pct = s.bps != null ? ` (${(s.bps / 100).toFixed(2)}%)` : "";
      const orders = s.order_ids && s.order_ids.length ? ` · ${s.order_ids.map((i) => "#" + i).join(", ")}` : "";
      return `<li class="share">${t("share_row", { level: s.level, amount: money(s.amount_fen) })}${pct}${orders}</li>`;
    }).join("");
  }

  // The cumulative withholding method, figure by figure (what the tax withheld is made of).
  function taxBreakdown(tax, withheld) {
    if (!tax || tax.income_fen == null) return "";
    return `<details class="tax"><summary>${t("tax_how")}</summary>${figures([
      ["tax_income", money(tax.income_fen)],
      ["tax_expenses", money(tax.expenses_fen)],
      ["tax_basic", `${money(tax.basic_deduction_fen)} (${t("months", { n: tax.months_counted })})`],
      ["tax_other", money(tax.other_deductions_fen)],
      ["tax_taxable", money(tax.taxable_fen)],
      ["tax_rate", `${percent(tax.rate)} − ${money(tax.quick_deduction_fen)}`],
      ["tax_due", money(tax.tax_due_fen)],
      ["tax_withheld_year", money(tax.withheld_fen)],
      ["tax_this_time", money(withheld)],
    ])}</details>`;
  }

  // --- earnings ---------------------------------------------------------------------------------

  function earningRecord(r) {
    const source = r.source === "pay" ? t("source_pay") : t("source_share", { id: r.member_technician_id });
    const lines = r.lines.length ? `<ul class="lines">${r.lines.map((l) => lineRow(l, false)).join("")}</ul>` : "";
    const shares = r.shares.length ? `<h4>${t("shares_received")}</h4><ul>${shareRows(r.shares)}</ul>` : "";
    return `<div class="card earning" data-record-id="${r.record_id}">
      <div><b>${source}</b> · <a href="#/records/${r.record_id}">${t("record_version", { id: r.record_id, version: r.version })}</a></div>
      ${figures([["income", money(r.income_fen), "income"], ["tax_withheld", money(r.tax_withheld_fen), "tax"], ["net", money(r.net_fen), "net"]])}
      ${lines}${shares}${taxBreakdown(r.tax, r.tax_withheld_fen)}</div>`;
  }

  function totals(sum) {
    return figures([
      ["gross", money(sum.gross_fen), "gross"],
      ["tax_withheld", money(sum.tax_withheld_fen), "tax"],
      ["net", money(sum.net_fen), "net"],
      ["own_pay", money(sum.pay_fen), "pay"],
      ["shares_received", money(sum.shares_received_fen), "shares"],
    ]);
  }

  async function renderEarnings(match) {
    const month = (match && match[1]) || thisMonth();
    const data = await api(`/earnings?month=${month}`);
    const days = data.days.map((d) => `<details class="day" data-date="${d.date}">
        <summary><b>${esc(d.date)}</b> <span class="money">${t("day_summary", { gross: money(d.gross_fen), tax: money(d.tax_withheld_fen), net: money(d.net_fen) })}</span></summary>
        ${totals(d)}${d.records.map(earningRecord).join("")}</details>`);
    view.innerHTML = `${tabs("earnings")}
      <section id="earnings"><h2>${t("earnings")}</h2>
        <div class="row month"><button id="month-prev" type="button" aria-label="${t("prev_month")}">‹</button>
          <input id="earnings-month" type="month" value="${month}"><button id="month-next" type="button" aria-label="${t("next_month")}">›</button></div>
        <h3>${t("month_totals", { month })}</h3><div id="month-totals">${totals(data.totals)}</div>
        <p class="muted">${t("earnings_note")}</p></section>
      <section id="earning-days"><h2>${t("by_day")}</h2>${days.join("") || `<p class="muted">${t("no_earnings")}</p>`}</section>`;
    const go = (m) => { if (/^\d{4}-\d{2}$/.test(m)) location.hash = `#/earnings/${m}`; };
    document.getElementById("month-prev").onclick = () => go(shiftMonth(month, -1));
    document.getElementById("month-next").onclick = () => go(shiftMonth(month, 1));
    document.getElementById("earnings-month").onchange = (e) => go(e.target.value);
    app.rendered = "earnings:" + month;
  }

  // --- daily work records --------------------------------------------------------------------------

  function stateTag(state) {
    return `<span class="tag state-${esc(state)}">${t("record_" + state)}</span>`;
  }

  async function renderRecords() {
    const page = await api("/work-records?limit=100");
    // Waiting for my word first, then newest first.
    const items = page.items.slice().sort((a, b) =>
      (b.state === "pending_confirmation") - (a.state === "pending_confirmation") || b.work_date.localeCompare(a.work_date) || b.id - a.id);
    const cards = items.map((r) => `<a class="card record" href="#/records/${r.id}" data-record-id="${r.id}">
        <div>${stateTag(r.state)}<b>${esc(r.work_date)}</b> ${t("version", { version: r.version })}</div>
        <div class="meta">${t("points_total", { points: esc(r.points) })} · ${t("pay")} ${money(r.pay_fen)}</div></a>`);
    view.innerHTML = `${tabs("records")}<section id="records"><h2>${t("records")}</h2>
      <p class="muted">${t("records_note")}</p>${cards.join("") || `<p class="muted">${t("none")}</p>`}</section>`;
    app.rendered = "records";
  }

  function confirmationRow(c) {
    const orders = c.disputed_order_ids && c.disputed_order_ids.length ? ` · ${t("orders_named", { ids: c.disputed_order_ids.map((i) => "#" + i).join(", ") })}` : "";
    return `<li class="confirmation" data-party="${esc(c.party)}">${t("party_" + c.party)}: ${t("decision_" + c.decision)}
      <span class="muted">${esc(new Date(c.at).toLocaleString())}${orders}</span>${c.reason ? `<div>${esc(c.reason)}</div>` : ""}</li>`;
  }

  function decisionSection(record) {
    const mine = record.confirmations.find((c) => c.party === "technician");
    if (record.state === "superseded") {
      return `<p id="record-decision" class="muted">${t("superseded_by")} <a href="#/records/${record.superseded_by_id}">#${record.superseded_by_id}</a></p>`;
    }
    if (record.state !== "pending_confirmation" || mine) {
      const waiting = record.finalization_refused ? t("waiting_funds") : mine && record.state === "pending_confirmation" ? t("waiting_client") : "";
      return `<p id="record-decision" class="muted">${waiting}</p>`;
    }
    return `<section id="record-actions"><h3>${t("your_decision")}</h3>
      <button id="confirm-record" class="primary" type="button">${t("confirm_record")}</button>
      <h3>${t("or_dispute")}</h3><p class="muted">${t("dispute_hint")}</p>
      <label for="dispute-reason">${t("dispute_reason")}</label><textarea id="dispute-reason" maxlength="1000"></textarea>
      <p id="record-error" class="error"></p>
      <button id="dispute-record" class="danger" type="button">${t("dispute_record")}</button></section>`;
  }

  function renderRecordView(record) {
    const open = record.state === "pending_confirmation" && !record.confirmations.some((c) => c.party === "technician");
    const leaders = record.shares && record.shares.length
      ? `<h3>${t("shares_to_leaders")}</h3><p class="muted">${t("shares_on_top")}</p><ul>${shareRows(record.shares)}</ul>` : "";
    view.innerHTML = `<nav class="tabs"><a href="#/records">${t("back")}</a></nav>
      <section id="record" data-record-id="${record.id}" data-state="${esc(record.state)}">
        <h2>${t("record_of", { date: esc(record.work_date) })} ${stateTag(record.state)}</h2>
        <p class="muted">${t("version", { version: record.version })} · ${t("sealed", { digest: esc(record.digest.slice(0, 12)) })}</p>
        ${figures([["points_sum", esc(record.points)], ["pay", money(record.pay_fen), "pay"]])}
        <h3>${t("record_lines")}</h3><ul class="lines">${record.lines.map((l) => lineRow(l, open)).join("")}</ul>
        ${leaders}
        ${record.adjustment ? `<p class="muted">${t("adjusted")}: ${esc(record.adjustment.reason || "")}</p>` : ""}
        ${record.confirmations.length ? `<h3>${t("confirmations")}</h3><ul>${record.confirmations.map(confirmationRow).join("")}</ul>` : ""}
      </section>${decisionSection(record)}`;
    bindDecision(record);
    app.rendered = `record:${record.id}:${record.state}${open ? "" : ":decided"}`;
  }

  function bindDecision(record) {
    const confirmButton = document.getElementById("confirm-record");
    if (!confirmButton) return;
    const out = document.getElementById("record-error");
    const decide = async (button, path, body, done) => {
      button.disabled = true;
      try {
        renderRecordView(await api(`/work-records/${record.id}/${path}`, { method: "POST", body }));
        toast(done);
      } catch (error) {
        out.textContent = t("error", { detail: error.message });
        button.disabled = false;
      }
    };
    confirmButton.onclick = () => decide(confirmButton, "confirm", {}, t("record_confirmed"));
    const disputeButton = document.getElementById("dispute-record");
    disputeButton.onclick = () => {
      const reason = document.getElementById("dispute-reason").value.trim();
      if (!reason) { out.textContent = t("reason_needed"); return; }
      const orderIds = [...view.querySelectorAll("input.disputed:checked")].map((box) => Number(box.value));
      decide(disputeButton, "dispute", { reason, order_ids: orderIds }, t("record_disputed_toast"));
    };
  }

  async function renderRecord(match) {
    renderRecordView(await api(`/work-records/${Number(match[1])}`));
  }

  window.gw.addView(/^#\/earnings(?:\/(\d{4}-\d{2}))?$/, renderEarnings);
  window.gw.addView(/^#\/records\/(\d+)/, renderRecord);
  window.gw.addView(/^#\/records\/?$/, renderRecords);
})();
