/* Gridwork pages' messages and formats: Simplified Chinese by default, English on request.
   One catalogue per language (zh-CN.json, en.json); elements carry data-i18n="key" (text),
   data-i18n-placeholder / data-i18n-title; numbers, money (fen → ¥ with two decimals) and dates
   follow the language and the client's time zone. */
(() => {
  "use strict";
  const LANGS = ["zh-CN", "en"];
  const base = document.currentScript.src.replace(/i18n\.js(\?.*)?$/, "");
  const gw = {
    lang: LANGS.includes(localStorage.getItem("gw.lang")) ? localStorage.getItem("gw.lang") : "zh-CN",
    timeZone: "Asia/Shanghai",
    messages: {},
    t(key, vars = {}) {
      const text = gw.messages[key] ?? key;
      return text.replace(/\{(\w+)\}/g, (_, name) => (vars[name] ?? `{${name}}`));
    },
    async load(lang = gw.lang) {
      const response = await fetch(`${base}${lang}.json`);
      gw.messages = await response.json();
      gw.lang = lang;
      localStorage.setItem("gw.lang", lang);
      document.documentElement.lang = lang;
      gw.apply(document);
      document.dispatchEvent(new CustomEvent("gw:lang", { detail: lang }));
    },
    apply(root) {
      root.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = gw.t(el.dataset.i18n); });
      root.querySelectorAll("[data-i18n-placeholder]").forEach((el) => { el.placeholder = gw.t(el.dataset.i18nPlaceholder); });
      root.querySelectorAll("[data-i18n-title]").forEach((el) => { el.title = gw.t(el.dataset.i18nTitle); });
    },
    number(value, digits = 0) {
      if (value === null || value === undefined || value === "") return "–";
      return new Intl.NumberFormat(gw.lang, { maximumFractionDigits: digits, minimumFractionDigits: digits }).format(value);
    },
    percent(value) {
      if (value === null || value === undefined) return "–";
      return new Intl.NumberFormat(gw.lang, { style: "percent", maximumFractionDigits: 1 }).format(value);
    },
    money(fen) {
      if (fen === null || fen === undefined) return "–";
      return new Intl.NumberFormat(gw.lang, { style: "currency", currency: "CNY", currencyDisplay: "narrowSymbol", minimumFractionDigits: 2 })
        .format(Number(fen) / 100);
    },
    date(iso, withTime = true) {
      if (!iso) return "–";
      const options = { timeZone: gw.timeZone, year: "numeric", month: "2-digit", day: "2-digit" };
      if (withTime) Object.assign(options, { hour: "2-digit", minute: "2-digit", hour12: false });
      return new Intl.DateTimeFormat(gw.lang, options).format(new Date(iso));
    },
    localDay(iso) {
      // YYYY-MM-DD of an instant in the client's time zone (for per-day charts).
      return new Intl.DateTimeFormat("en-CA", { timeZone: gw.timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date(iso));
    },
    status(value) { return gw.t(`status.${value}`); },
    toCsv(columns, rows) {
      // columns: [[header, row => value]]; quotes every cell; a BOM so spreadsheet programs read UTF-8.
      const cell = (v) => `"${String(v ?? "").replace(/"/g, '""')}"`;
      const lines = [columns.map(([h]) => cell(h)).join(",")];
      for (const row of rows) lines.push(columns.map(([, f]) => cell(f(row))).join(","));
      return "\ufeff" + lines.join("\r\n") + "\r\n";
    },
    download(name, text, type = "text/csv;charset=utf-8") {
      const link = document.createElement("a");
      link.href = URL.createObjectURL(new Blob([text], { type }));
      link.download = name;
      document.body.append(link);
      link.click();
      link.remove();
    },
    bindSwitch(select) {
      select.value = gw.lang;
      select.addEventListener("change", () => gw.load(select.value));
    },
  };
  window.GW = gw;
})();
