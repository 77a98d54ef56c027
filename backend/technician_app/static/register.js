/* Registration and onboarding: phone + SMS code (#/register), then the profile's steps (#/profile):
 * identity read from the ID card's photos by OCR and confirmed by the technician, payout account
 * (the bank named from the card number's BIN as it is typed, or Alipay), role, the service
 * agreement, regions, skills with certificates; submit for review and see the approval state. */
(function () {
  "use strict";
  const { api, t, esc, toast, view, app, signedIn, start } = window.gw;
  const LOW_CONFIDENCE = 0.9; // fields read with less are marked for a second look
  const MAX_SIDE = 2000; // larger photos are scaled down before upload (the server reads ~1600 px)
  const STEPS = ["identity", "payout", "role", "agreement", "regions", "skills"];
  const REQUIRED = new Set(["identity", "payout_account", "role", "agreement"]);

  function back(to) {
    return `<nav class="tabs"><a href="${to}">${t("back")}</a></nav>`;
  }

  // Field errors of a problem next to their inputs: {field: input id}.
  function showProblem(error, out, inputs) {
    const problem = error.problem || {};
    const errors = problem.errors || [];
    view.querySelectorAll(".field-error").forEach((node) => node.remove());
    errors.forEach((e) => {
      const input = inputs && document.getElementById(inputs[e.field]);
      if (input) input.insertAdjacentHTML("afterend", `<p class="error field-error" data-field="${esc(e.field)}">${esc(e.message || e.rule || "")}</p>`);
    });
    out.textContent = t("error", { detail: problem.detail || error.message });
  }

  async function refreshMe() {
    app.me = await api("/me");
    return app.me;
  }

  // --- phone + SMS code ----------------------------------------------------------------------------

  function renderRegister() {
    view.innerHTML = `<section id="register"><h2>${t("register")}</h2>
      <label for="reg-phone">${t("phone")}</label><input id="reg-phone" type="tel" autocomplete="tel">
      <div class="row"><button id="send-code" type="button">${t("send_code")}</button></div>
      <label for="reg-code">${t("sms_code")}</label><input id="reg-code" inputmode="numeric" maxlength="6" autocomplete="one-time-code">
      <label for="reg-name">${t("display_name")}</label><input id="reg-name" autocomplete="name">
      <label for="reg-password">${t("new_password")}</label><input id="reg-password" type="password" autocomplete="new-password">
      <p id="register-error" class="error"></p>
      <button id="register-button" class="primary" type="button">${t("register")}</button>
      <p class="muted"><a href="#/login">${t("have_account")}</a></p></section>`;
    const out = document.getElementById("register-error");
    const inputs = { phone: "reg-phone", code: "reg-code", name: "reg-name", password: "reg-password" };
    const sendButton = document.getElementById("send-code");
    sendButton.onclick = async () => {
      try {
        const sent = await api("/auth/sms-code", { method: "POST", body: { phone: document.getElementById("reg-phone").value } });
        out.textContent = "";
        countdown(sendButton, 60);
        toast(t("code_sent", { minutes: Math.round(sent.expires_in / 60) }));
        app.codeSent = true;
      } catch (error) { showProblem(error, out, inputs); }
    };
    document.getElementById("register-button").onclick = async () => {
      const body = Object.fromEntries(Object.entries(inputs).map(([k, id]) => [k, document.getElementById(id).value.trim()]));
      if (body.password.length < 10) { out.textContent = t("password_rule"); return; }
      try {
        const tokens = await api("/auth/register", { method: "POST", body });
        signedIn(tokens.access_token);
        await start();
        location.hash = "#/profile";
      } catch (error) { showProblem(error, out, inputs); }
    };
    app.rendered = "register";
  }

  function countdown(button, seconds) {
    button.disabled = true;
    let left = seconds;
    const tick = () => {
      button.textContent = left > 0 ? t("resend_in", { s: left }) : t("send_code");
      if (left-- <= 0) { button.disabled = false; return; }
      setTimeout(tick, 1000);
    };
    tick();
  }

  // --- the profile's steps and the approval state ----------------------------------------------------------

  function stepDone(me, step) {
    if (step === "identity") return !me.missing.includes("identity");
    if (step === "payout") return !me.missing.includes("payout_account");
    if (step === "role") return !me.missing.includes("role");
    if (step === "agreement") return !me.missing.includes("agreement");
    if (step === "regions") return me.regions.length > 0;
    return me.skills.length > 0;
  }

  function stepSummary(me, step, regionNames) {
    if (step === "identity" && me.legal_name) return `${esc(me.legal_name)} · ${esc(me.id_number)}`;
    if (step === "payout" && me.payout_account) return `${esc(me.payout_account.bank_name || t("payout_" + me.payout_account.kind))} · ${esc(me.payout_account.account)}`;
    if (step === "role" && me.role) return esc(me.role.name) + (me.pending_role_change ? ` → ${esc(me.pending_role_change.to_role.name)} (${t("pending")})` : "");
    if (step === "agreement" && me.agreement) return t("signed_at", { at: esc(me.agreement.record.signed_at) });
    if (step === "regions" && me.regions.length) return me.regions.map((r) => `${esc(regionNames.get(r.region_id) || "#" + r.region_id)} ${t("membership_" + r.state)}`).join(", ");
    if (step === "skills" && me.skills.length) return me.skills.map((s) => `${esc(s.skill_name)} L${s.level} ${t("skill_" + s.state)}`).join(", ");
    return "";
  }

  async function renderProfile() {
    const me = await refreshMe();
    const regions = me.regions.length ? await api("/regions").catch(() => ({ items: [] })) : { items: [] };
    const regionNames = new Map(regions.items.map((r) => [r.id, r.name]));
    const items = STEPS.map((step) => {
      const done = stepDone(me, step);
      const optional = step === "regions" || step === "skills" ? ` <span class="muted">${t("optional")}</span>` : "";
      return `<li class="step ${done ? "done" : ""}" data-step="${step}"><a href="#/profile/${step}">${done ? "✓" : "○"} ${t("step_" + step)}</a>${optional}
        <div class="muted">${stepSummary(me, step, regionNames)}</div></li>`;
    });
    const canSubmit = (me.status === "onboarding" || me.status === "rejected") && me.missing.every((m) => !REQUIRED.has(m));
    const note = me.review_note ? `<p class="muted">${t("review_note")}: ${esc(me.review_note)}</p>` : "";
    view.innerHTML = `${window.gw.tabs("settings")}
      <section id="approval" data-status="${esc(me.status)}"><h2>${t("approval")}: <span id="approval-state">${t("profile_" + me.status)}</span></h2>
        <p class="muted">${t("approval_" + me.status)}</p>${note}</section>
      <section id="steps"><h2>${t("profile_steps")}</h2><ol class="steps">${items.join("")}</ol>
        <p id="submit-error" class="error"></p>
        ${canSubmit ? `<button id="submit-profile" class="primary" type="button">${t("submit_profile")}</button>` : ""}</section>`;
    const submit = document.getElementById("submit-profile");
    if (submit) {
      submit.onclick = async () => {
        try { app.me = await api("/me/submit", { method: "POST", body: {} }); renderProfile(); } catch (error) { showProblem(error, document.getElementById("submit-error")); }
      };
    }
    app.rendered = "profile:" + me.status;
  }

  // --- identity: the ID card read by OCR, confirmed by the technician -----------------------------------------

  // Scale a big photo down on the phone (less to upload); small ones go as they are.
  async function shrink(file) {
    if (!window.createImageBitmap) return file;
    const bitmap = await createImageBitmap(file).catch(() => null);
    if (!bitmap || Math.max(bitmap.width, bitmap.height) <= MAX_SIDE) return file;
    const scale = MAX_SIDE / Math.max(bitmap.width, bitmap.height);
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.9));
    return blob ? new File([blob], "card.jpg", { type: "image/jpeg" }) : file;
  }

  function renderIdentity() {
    const me = app.me;
    const longTerm = me.id_valid_to === "long_term";
    view.innerHTML = `${back("#/profile")}<section id="identity"><h2>${t("step_identity")}</h2>
      <p class="muted">${t("identity_hint")}</p>
      <label for="id-front">${t("id_front")}</label><input id="id-front" type="file" accept="image/*" capture="environment">
      <label for="id-back">${t("id_back")}</label><input id="id-back" type="file" accept="image/*" capture="environment">
      <div class="photo-preview" id="id-preview"></div>
      <button id="ocr-button" type="button" disabled>${t("read_card")}</button>
      <p id="ocr-state" class="muted" aria-live="polite"></p><ul id="ocr-problems" class="error"></ul></section>
      <section id="identity-fields"><h2>${t("confirm_fields")}</h2>
      <label for="legal-name">${t("legal_name")}</label><input id="legal-name" class="ocr-field" data-conf="name" value="${esc(me.legal_name || "")}" autocomplete="off">
      <label for="id-number">${t("id_number")}</label><input id="id-number" class="ocr-field" data-conf="id_number" value="" placeholder="${esc(me.id_number || "")}" autocomplete="off">
      <p id="id-number-check" class="muted"></p>
      <label for="valid-from">${t("valid_from")}</label><input id="valid-from" class="ocr-field" data-conf="validity" type="date" value="${esc(me.id_valid_from || "")}">
      <label for="valid-to">${t("valid_to")}</label><input id="valid-to" class="ocr-field" data-conf="validity" type="date" value="${longTerm ? "" : esc(me.id_valid_to || "")}" ${longTerm ? "disabled" : ""}>
      <label class="check"><input id="long-term" type="checkbox" ${longTerm ? "checked" : ""}> ${t("long_term")}</label>
      <p id="identity-error" class="error"></p>
      <button id="identity-save" class="primary" type="button">${t("confirm_save")}</button></section>`;
    const front = document.getElementById("id-front");
    const backSide = document.getElementById("id-back");
    const ocrButton = document.getElementById("ocr-button");
    const preview = () => {
      document.getElementById("id-preview").innerHTML = "";
      [front, backSide].forEach((input) => {
        if (!input.files[0]) return;
        const img = document.createElement("img");
        img.src = URL.createObjectURL(input.files[0]);
        img.alt = "";
        document.getElementById("id-preview").appendChild(img);
      });
      ocrButton.disabled = !front.files[0];
      if (front.files[0] && backSide.files[0]) readCard(); // both sides taken: read at once
    };
    front.onchange = preview;
    backSide.onchange = preview;
    ocrButton.onclick = readCard;
    document.getElementById("long-term").onchange = (e) => { document.getElementById("valid-to").disabled = e.target.checked; };
    document.getElementById("identity-save").onclick = saveIdentity;
    app.rendered = "identity";
  }

  // The server names each problem with a code; its English sentence stands in for a code this app does not know.
  function problemText(problem) {
    const key = "ocr_" + problem.code;
    const text = t(key, problem);
    return text === key ? problem.message : text;
  }

  async function readCard() {
    const front = document.getElementById("id-front").files[0];
    const backFile = document.getElementById("id-back").files[0];
    const state = document.getElementById("ocr-state");
    const problems = document.getElementById("ocr-problems");
    if (!front) return;
    const ticket = (app.ocrTicket = (app.ocrTicket || 0) + 1); // a newer reading wins
    state.textContent = t("reading_card");
    problems.innerHTML = "";
    app.ocr = null;
    try {
      const form = new FormData();
      form.append("front", await shrink(front));
      if (backFile) form.append("back", await shrink(backFile));
      const photo = new FormData();
      photo.append("file", front);
      photo.append("purpose", "id_photo");
      const [reading, stored] = await Promise.all([
        api("/me/identity/ocr", { method: "POST", body: form }),
        api("/files", { method: "POST", body: photo }).catch(() => null),
      ]);
      if (ticket !== app.ocrTicket) return;
      app.idPhoto = stored && stored.sha256;
      fillFromReading(reading);
      state.textContent = t("card_read");
      problems.innerHTML = reading.problems.map((p) => `<li>${esc(problemText(p))}</li>`).join("");
      app.ocr = reading;
    } catch (error) {
      if (ticket !== app.ocrTicket) return;
      const field = ((error.problem || {}).errors || [])[0];
      state.textContent = field ? t("card_unreadable", { side: t(field.field === "back" ? "id_back" : "id_front"), detail: field.message }) : t("error", { detail: error.message });
    }
  }

  function fillFromReading(reading) {
    const set = (id, value) => { if (value != null) document.getElementById(id).value = value; };
    set("legal-name", reading.name);
    set("id-number", reading.id_number);
    set("valid-from", reading.valid_from);
    const longTerm = reading.valid_to === "long_term";
    document.getElementById("long-term").checked = longTerm;
    document.getElementById("valid-to").disabled = longTerm;
    if (!longTerm) set("valid-to", reading.valid_to);
    view.querySelectorAll(".ocr-field").forEach((input) => {
      const confidence = reading.confidence[input.dataset.conf];
      input.classList.toggle("low", confidence == null || confidence < LOW_CONFIDENCE);
    });
    document.getElementById("id-number-check").textContent = reading.id_number
      ? (reading.id_number_valid ? t("id_number_ok") : t("id_number_bad")) : "";
  }

  async function saveIdentity() {
    const out = document.getElementById("identity-error");
    const validFrom = document.getElementById("valid-from").value;
    const validTo = document.getElementById("long-term").checked ? "long_term" : document.getElementById("valid-to").value;
    const body = {
      legal_name: document.getElementById("legal-name").value.trim(),
      id_number: document.getElementById("id-number").value.trim().toUpperCase(),
      id_photo_sha256: app.idPhoto || null,
    };
    if (validFrom || (validTo && validTo !== "long_term")) Object.assign(body, { id_valid_from: validFrom || null, id_valid_to: validTo || null });
    try {
      app.me = await api("/me/identity", { method: "PUT", body });
      toast(t("saved"));
      location.hash = "#/profile";
    } catch (error) {
      showProblem(error, out, { legal_name: "legal-name", id_number: "id-number", id_valid_from: "valid-from", id_valid_to: "valid-to" });
    }
  }

  // --- payout account: the bank named from the card number's BIN ------------------------------------------

  function renderPayout() {
    const current = app.me.payout_account;
    view.innerHTML = `${back("#/profile")}<section id="payout"><h2>${t("step_payout")}</h2>
      ${current ? `<p class="muted" id="payout-current">${t("payout_current", { bank: esc(current.bank_name || t("payout_" + current.kind)), account: esc(current.account) })}</p>` : ""}
      <div class="row"><label class="check"><input type="radio" name="payout-kind" value="bank_card" checked> ${t("payout_bank_card")}</label>
        <label class="check"><input type="radio" name="payout-kind" value="alipay"> ${t("payout_alipay")}</label></div>
      <div id="bank-box"><label for="card-number">${t("card_number")}</label>
        <input id="card-number" inputmode="numeric" autocomplete="cc-number" maxlength="23">
        <p id="bank-name" aria-live="polite"></p></div>
      <div id="alipay-box" hidden><label for="alipay-account">${t("alipay_account")}</label><input id="alipay-account" autocomplete="off"></div>
      <p id="payout-error" class="error"></p>
      <button id="payout-save" class="primary" type="button">${t("save")}</button></section>`;
    view.querySelectorAll("input[name=payout-kind]").forEach((radio) => {
      radio.onchange = () => {
        const alipay = kind() === "alipay";
        document.getElementById("bank-box").hidden = alipay;
        document.getElementById("alipay-box").hidden = !alipay;
      };
    });
    const card = document.getElementById("card-number");
    card.oninput = () => {
      const digits = card.value.replace(/\D/g, "").slice(0, 19);
      card.value = digits.replace(/(\d{4})(?=\d)/g, "$1 "); // groups of four, as printed on the card
      clearTimeout(app.bankTimer);
      app.bankTimer = setTimeout(() => lookupBank(digits), 300);
    };
    document.getElementById("payout-save").onclick = savePayout;
    app.rendered = "payout";
  }

  function kind() { return view.querySelector("input[name=payout-kind]:checked").value; }

  async function lookupBank(digits) {
    const out = document.getElementById("bank-name");
    app.bank = null;
    out.dataset.state = "";
    if (digits.length < 12) { out.textContent = ""; return; }
    const asked = digits;
    try {
      const bank = await api(`/banks/lookup?card_number=${encodeURIComponent(digits)}`);
      if (document.getElementById("card-number").value.replace(/\D/g, "") !== asked) return; // typed on
      app.bank = bank;
      const name = window.gwI18n.getLang() === "zh" ? bank.bank_name : bank.bank_name_en;
      out.textContent = `${name}${bank.card_type ? " · " + t("card_" + bank.card_type) : ""}`;
      out.dataset.state = "known";
    } catch (error) {
      if (document.getElementById("card-number").value.replace(/\D/g, "") !== asked) return;
      out.textContent = error.status === 404 ? t("bank_unknown") : t("card_number_bad");
      out.dataset.state = error.status === 404 ? "unknown" : "invalid";
    }
  }

  async function savePayout() {
    const out = document.getElementById("payout-error");
    const body = kind() === "alipay"
      ? { kind: "alipay", account: document.getElementById("alipay-account").value.trim() }
      : { kind: "bank_card", account: document.getElementById("card-number").value.replace(/\D/g, "") }; // the server names the bank from the BIN
    try {
      app.me = await api("/me/payout-account", { method: "PUT", body });
      toast(t("saved"));
      location.hash = "#/profile";
    } catch (error) {
      showProblem(error, out, { account: body.kind === "alipay" ? "alipay-account" : "card-number" });
    }
  }

  // --- role, agreement, regions, skills -------------------------------------------------------------------

  async function renderRole() {
    const catalogue = await api("/catalogue");
    const me = app.me;
    const approved = me.status !== "onboarding" && me.status !== "rejected";
    const options = catalogue.roles.map((r) => `<label class="check role"><input type="radio" name="role" value="${esc(r.code)}" ${me.role && me.role.code === r.code ? "checked" : ""}>
      <b>${esc(r.name)}</b> <span class="muted">${esc(r.description || "")}</span></label>`);
    view.innerHTML = `${back("#/profile")}<section id="role"><h2>${t("step_role")}</h2>
      ${approved ? `<p class="muted">${t("role_change_hint")}</p><label for="role-reason">${t("reason")}</label><input id="role-reason">` : ""}
      ${options.join("")}<p id="role-error" class="error"></p>
      <button id="role-save" class="primary" type="button">${approved ? t("ask_role_change") : t("save")}</button></section>`;
    document.getElementById("role-save").onclick = async () => {
      const chosen = view.querySelector("input[name=role]:checked");
      const out = document.getElementById("role-error");
      if (!chosen) { out.textContent = t("choose_one"); return; }
      try {
        if (approved) await api("/me/role-change-requests", { method: "POST", body: { role: chosen.value, reason: document.getElementById("role-reason").value || null } });
        else app.me = await api("/me/role", { method: "PUT", body: { role: chosen.value } });
        toast(t("saved"));
        location.hash = "#/profile";
      } catch (error) { showProblem(error, out); }
    };
    app.rendered = "role";
  }

  async function renderAgreement() {
    const agreement = await api("/agreements/current");
    const signed = app.me.agreement && app.me.agreement.record.agreement_version === agreement.version;
    view.innerHTML = `${back("#/profile")}<section id="agreement"><h2>${esc(agreement.title)}</h2>
      <p class="muted">${t("agreement_version", { version: agreement.version })}</p>
      <div id="agreement-text" class="agreement">${esc(agreement.body)}</div>
      ${signed ? `<p id="agreement-signed">${t("signed_at", { at: esc(app.me.agreement.record.signed_at) })}</p>` : `
      <label class="check"><input id="agree" type="checkbox"> ${t("i_agree")}</label><p id="agreement-error" class="error"></p>
      <button id="sign-agreement" class="primary" type="button" disabled>${t("sign")}</button>`}</section>`;
    const agree = document.getElementById("agree");
    if (agree) {
      const sign = document.getElementById("sign-agreement");
      agree.onchange = () => { sign.disabled = !agree.checked; };
      sign.onclick = async () => {
        try {
          await api("/me/agreements", { method: "POST", body: { version: agreement.version, text_sha256: agreement.body_sha256, device: navigator.userAgent.slice(0, 200) } });
          toast(t("signed"));
          location.hash = "#/profile";
        } catch (error) { showProblem(error, document.getElementById("agreement-error")); }
      };
    }
    app.rendered = "agreement";
  }

  async function renderRegions() {
    const list = await api("/regions");
    const mine = new Map(app.me.regions.map((r) => [r.region_id, r.state]));
    const rows = list.items.filter((r) => r.level !== "grid").map((r) => {
      const state = mine.get(r.id);
      const action = state ? `<span class="tag">${t("membership_" + state)}</span>` : `<button class="ask-region" data-id="${r.id}" type="button">${t("ask")}</button>`;
      return `<li class="region" data-region-id="${r.id}"><span>${esc(r.name)} <span class="muted">${t("level_" + r.level)}</span></span>${action}</li>`;
    });
    view.innerHTML = `${back("#/profile")}<section id="regions"><h2>${t("step_regions")}</h2>
      <p class="muted">${t("regions_hint")}</p><ul class="lines">${rows.join("") || `<li class="muted">${t("none")}</li>`}</ul>
      <p id="regions-error" class="error"></p></section>`;
    view.querySelectorAll("button.ask-region").forEach((button) => {
      button.onclick = async () => {
        try {
          app.me = await api("/me/region-requests", { method: "POST", body: { region_id: Number(button.dataset.id) } });
          renderRegions();
        } catch (error) { showProblem(error, document.getElementById("regions-error")); }
      };
    });
    app.rendered = "regions";
  }

  async function renderSkills() {
    const catalogue = await api("/catalogue");
    const have = app.me.skills.map((s) => `<li>${esc(s.skill_name)} L${s.level} <span class="tag">${t("skill_" + s.state)}</span>${s.certificate_no ? ` <span class="muted">${esc(s.certificate_no)}</span>` : ""}</li>`);
    view.innerHTML = `${back("#/profile")}<section id="skills"><h2>${t("step_skills")}</h2>
      <ul>${have.join("") || `<li class="muted">${t("none")}</li>`}</ul>
      <h3>${t("add_skill")}</h3>
      <label for="skill">${t("skill")}</label><select id="skill">${catalogue.skills.map((s) => `<option value="${esc(s.code)}">${esc(s.name)}</option>`).join("")}</select>
      <label for="skill-level">${t("level")}</label><select id="skill-level">${[1, 2, 3, 4, 5].map((l) => `<option>${l}</option>`).join("")}</select>
      <label for="cert-no">${t("certificate_no")}</label><input id="cert-no">
      <label for="cert-issuer">${t("issuer")}</label><input id="cert-issuer">
      <label for="cert-until">${t("valid_until")}</label><input id="cert-until" type="date">
      <label for="cert-photo">${t("certificate_photo")}</label><input id="cert-photo" type="file" accept="image/*,application/pdf" capture="environment">
      <p id="skills-error" class="error"></p>
      <button id="skill-save" class="primary" type="button">${t("add_skill")}</button></section>`;
    document.getElementById("skill-save").onclick = saveSkill;
    app.rendered = "skills";
  }

  async function saveSkill() {
    const out = document.getElementById("skills-error");
    const value = (id) => document.getElementById(id).value.trim() || null;
    try {
      let evidence = null;
      const photo = document.getElementById("cert-photo").files[0];
      if (photo) {
        const form = new FormData();
        form.append("file", photo);
        evidence = (await api("/files", { method: "POST", body: form })).sha256;
      }
      await api("/me/skills", {
        method: "POST",
        body: { skill: value("skill"), level: Number(value("skill-level")), certificate_no: value("cert-no"), issuer: value("cert-issuer"), valid_until: value("cert-until"), evidence_sha256: evidence },
      });
      await refreshMe();
      toast(t("saved"));
      renderSkills();
    } catch (error) {
      showProblem(error, out, { skill: "skill", level: "skill-level", certificate_no: "cert-no", valid_until: "cert-until" });
    }
  }

  const STEP_VIEWS = { identity: renderIdentity, payout: renderPayout, role: renderRole, agreement: renderAgreement, regions: renderRegions, skills: renderSkills };

  async function renderStep(match) {
    if (!app.me || !app.me.missing) await refreshMe();
    await STEP_VIEWS[match[1]]();
  }

  window.gw.addView(/^#\/register/, renderRegister, { public: true });
  window.gw.addView(/^#\/profile\/(identity|payout|role|agreement|regions|skills)/, renderStep);
  window.gw.addView(/^#\/profile/, renderProfile);
})();
