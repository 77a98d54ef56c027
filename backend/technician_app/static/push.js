/* Push registration through the native shell, notifications opened from the shell, and the
 * settings screen (#/settings).
 *
 * An H5 page has no push token of its own. Inside the Gridwork shell (a WebView) the shell puts
 * a bridge object on the page before it loads; in a plain browser there is none, and the app
 * registers nothing (the settings screen says so). The bridge, every member but pushToken
 * optional:
 *
 *   window.GridworkNative = {
 *     pushToken(): Promise<{platform: "android"|"ios", provider: "jpush"|"fcm", token: string} | null>,
 *         // the JPush registration id or the FCM token of this install (null: none yet)
 *     appVersion: "1.4.0",                          // or a function returning it
 *     onPushTokenChange(callback),                  // the provider issued a new token: callback({...as above})
 *     launchNotification(): Promise<payload | null>, // the notification the app was opened from
 *     onNotificationOpened(callback),               // a notification tapped while the app runs: callback(payload)
 *   };
 *
 * A payload is the push's data as sent (all strings): notification_kind, notification_id and the
 * ids of what it is about (order_id, offer_id, record_id, ...). A shell may also call
 * window.gridworkApp.openNotification(payload) itself. Opening one acknowledges it (which stops
 * the SMS fallback of urgent work) and shows the order or record fetched over REST: the
 * notification is a hint, never the truth. A URL opened from a notification works the same way:
 * /app#/orders/<id>, /app#/records/<id>.
 */
(function () {
  "use strict";
  const { api, t, esc, tabs, view, toast, app, signOut } = window.gw;
  const H5_VERSION = "h5-1.0";
  const DEVICE_KEY = "gw_device"; // {id, token} of this install's registration
  const PENDING_ACK = "gw_pending_ack";
  const ORDER_KINDS = new Set(["offer", "assignment", "cancellation", "rework"]);
  app.push = { state: "unknown", device: JSON.parse(localStorage.getItem(DEVICE_KEY) || "null") };

  function bridge() {
    const native = window.GridworkNative;
    return native && typeof native.pushToken === "function" ? native : null;
  }

  function appVersion(native) {
    const v = typeof native.appVersion === "function" ? native.appVersion() : native.appVersion;
    return String(v || H5_VERSION).slice(0, 32);
  }

  // --- device registration -------------------------------------------------------------------

  async function register(info) {
    const native = bridge();
    if (!info || !info.token) { app.push.state = "no_token"; return; }
    const device = await api("/me/devices", {
      method: "PUT",
      body: { platform: info.platform || "android", provider: info.provider || "jpush", push_token: info.token, app_version: appVersion(native) },
    });
    const previous = app.push.device;
    // The old token is dead once the provider issues a new one: stop pushing to it.
    if (previous && previous.id !== device.id) await api(`/me/devices/${previous.id}`, { method: "DELETE" }).catch(() => null);
    app.push.device = { id: device.id, token: info.token, provider: device.provider, platform: device.platform };
    app.push.state = "registered";
    localStorage.setItem(DEVICE_KEY, JSON.stringify(app.push.device));
  }

  async function registerNow() {
    await ackPending(); // a notification opened before signing in
    const native = bridge();
    if (!native) { app.push.state = "no_bridge"; return; }
    app.push.state = "asking";
    await register(await native.pushToken());
  }

  async function forgetDevice() {
    const device = app.push.device;
    if (device) await api(`/me/devices/${device.id}`, { method: "DELETE" }).catch(() => null);
    app.push.device = null;
    localStorage.removeItem(DEVICE_KEY);
  }

  // --- notifications opened ---------------------------------------------------------------------

  function targetOf(payload) {
    const kind = payload.notification_kind;
    if (ORDER_KINDS.has(kind) && payload.order_id) return `#/orders/${Number(payload.order_id)}`;
    if (kind === "daily_record" && payload.record_id) return `#/records/${Number(payload.record_id)}`;
    return "#/home";
  }

  async function ackPending() {
    const id = localStorage.getItem(PENDING_ACK);
    if (!id || !app.token) return;
    localStorage.removeItem(PENDING_ACK);
    await api(`/me/notifications/${Number(id)}/ack`, { method: "POST", body: {} }).catch(() => null);
  }

  function openNotification(payload) {
    if (!payload || typeof payload !== "object") return;
    app.lastNotification = payload;
    if (payload.notification_id) localStorage.setItem(PENDING_ACK, String(payload.notification_id));
    ackPending();
    const target = targetOf(payload);
    if (location.hash === target) window.gw.route(); // fetch the current state again
    else location.hash = target;
  }
  app.openNotification = openNotification;

  function listen() {
    const native = bridge();
    if (!native) return;
    if (typeof native.onPushTokenChange === "function") {
      native.onPushTokenChange((info) => {
        if (app.token) register(info).catch((e) => toast(t("error", { detail: e.message })));
      });
    }
    if (typeof native.onNotificationOpened === "function") native.onNotificationOpened(openNotification);
    if (typeof native.launchNotification === "function") {
      Promise.resolve(native.launchNotification()).then(openNotification, () => null);
    }
  }

  // --- settings ("me") -------------------------------------------------------------------------------

  function pushStatus() {
    const d = app.push.device;
    if (app.push.state === "no_bridge") return `<p id="push-state" data-state="no_bridge">${t("push_no_bridge")}</p>`;
    if (app.push.state === "no_token") return `<p id="push-state" data-state="no_token">${t("push_no_token")}</p>`;
    if (app.push.state === "registered" && d) {
      return `<p id="push-state" data-state="registered">${t("push_registered", { provider: t("provider_" + d.provider), platform: esc(d.platform), id: d.id })}</p>`;
    }
    return `<p id="push-state" data-state="${esc(app.push.state)}">${t("push_pending")}</p>`;
  }

  // Quiet hours in the phone's time zone and the kinds not pushed (urgent and safety ones always are).
  const MUTABLE = ["offer", "assignment", "rework", "cancellation", "daily_record"];
  function preferencesSection(prefs) {
    const hhmm = (value) => (value ? String(value).slice(0, 5) : "");
    const boxes = MUTABLE.map((kind) => `<label class="check"><input type="checkbox" class="push-kind" value="${kind}" ${prefs.muted_kinds.includes(kind) ? "" : "checked"}> ${t("kind_" + kind)}</label>`);
    return `<section id="preferences"><h2>${t("preferences")}</h2>
      <div class="row"><div><label for="quiet-start">${t("quiet_start")}</label><input id="quiet-start" type="time" value="${hhmm(prefs.quiet_start)}"></div>
        <div><label for="quiet-end">${t("quiet_end")}</label><input id="quiet-end" type="time" value="${hhmm(prefs.quiet_end)}"></div></div>
      <h3>${t("push_kinds")}</h3>${boxes.join("")}
      <p class="muted">${t("urgent_always")}</p><p id="preferences-error" class="error"></p>
      <button id="preferences-save" type="button">${t("save")}</button></section>`;
  }

  async function savePreferences() {
    const value = (id) => document.getElementById(id).value || null;
    const body = {
      time_zone: Intl.DateTimeFormat().resolvedOptions().timeZone || "Asia/Shanghai",
      quiet_start: value("quiet-start"),
      quiet_end: value("quiet-end"),
      muted_kinds: [...view.querySelectorAll("input.push-kind:not(:checked)")].map((box) => box.value), // unticked: not pushed
    };
    try {
      await api("/me/notification-preferences", { method: "PUT", body });
      toast(t("saved"));
    } catch (error) {
      document.getElementById("preferences-error").textContent = t("error", { detail: error.message });
    }
  }

  async function renderSettings() {
    const me = app.me || (await api("/me"));
    const prefs = await api("/me/notification-preferences").catch(() => null);
    const devices = app.push.state === "no_bridge" ? null : await api("/me/devices").catch(() => null);
    const others = devices ? devices.items.filter((d) => !app.push.device || d.id !== app.push.device.id).length : 0;
    view.innerHTML = `${tabs("settings")}
      <section id="me-box"><h2>${esc(me.name)}</h2>
        <p class="muted">${esc(me.phone)} · <span id="profile-status">${t("profile_" + me.status)}</span></p>
        <a id="profile-link" href="#/profile">${t("profile_steps")}</a></section>
      <section id="push"><h2>${t("push")}</h2>${pushStatus()}
        ${others ? `<p class="muted">${t("other_devices", { n: others })}</p>` : ""}
        <p class="muted">${t("push_note")}</p></section>
      ${prefs ? preferencesSection(prefs) : ""}
      <section><button id="sign-out" type="button">${t("sign_out")}</button></section>`;
    document.getElementById("sign-out").onclick = () => signOut();
    const save = document.getElementById("preferences-save");
    if (save) save.onclick = savePreferences;
    app.rendered = "settings";
  }

  window.gw.addView(/^#\/settings/, renderSettings);
  window.gw.onSignIn(registerNow);
  window.gw.onSignOut(forgetDevice);
  listen();
})();
