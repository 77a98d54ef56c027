/* Strings of the technician app: Simplified Chinese first, English as the switch. */
(function () {
  "use strict";
  const STRINGS = {
    zh: {
      app_title: "Gridwork 师傅端", sign_in: "登录", phone: "手机号", password: "密码",
      wrong_login: "手机号或密码错误", on_shift: "上班中", off_shift: "已下班",
      go_on_shift: "开始上班", go_off_shift: "下班", shift: "班次",
      consent_title: "位置授权",
      consent_text: "上班期间，我们会持续获取您的位置，仅用于：向您推荐附近的工单、调度员查看在岗情况、到场签到核验。下班后停止获取。您可随时撤回授权。",
      consent_yes: "同意并上班", consent_no: "暂不", consent_needed: "需要位置授权才能上班",
      offers: "抢单 / 派单", feed: "为您推荐", my_orders: "我的工单", points: "积分",
      none: "暂无", claim: "抢单", accept: "接单", decline: "拒绝", open: "查看",
      en_route: "出发", check_in: "到场签到", deliver: "提交完工", check_out: "签退",
      navigate: "导航", amap: "高德地图", baidu: "百度地图",
      locating: "正在定位…", geo_denied: "无法获取位置：{message}",
      too_far: "距离现场 {distance} 米，签到范围 {radius} 米，请到现场后再签到",
      photos: "现场照片", notes: "备注", readings: "读数（每行 名称=数值）",
      delivered: "已提交完工", claimed: "抢单成功", taken: "手慢了，工单已被抢走",
      hint: "作业指导", procedure: "步骤", tools: "工具", spare_parts: "备件", safety: "安全须知",
      no_hint: "此工作类型暂无作业指导", history: "现场历史", by: "{name} · {date}",
      points_total: "积分 {points}", breakdown: "明细", back: "返回", status: "状态",
      new_offer: "有新工单可抢", new_assignment: "有新派单", cancelled: "工单已取消",
      distance: "{km} 公里", priority_urgent: "紧急", sign_out: "退出登录",
      status_published: "待派发", status_offered: "派发中", status_assigned: "已派单", status_accepted: "已接单",
      status_en_route: "在路上", status_on_site: "在现场", status_delivered: "已完工", status_verified: "已验收",
      status_rejected: "被退回", status_cancelled: "已取消", status_expired: "已过期",
      queued_fixes: "待上传位置 {n} 个", error: "出错了：{detail}"
    },
    en: {
      app_title: "Gridwork Technician", sign_in: "Sign in", phone: "Phone", password: "Password",
      wrong_login: "Wrong phone or password", on_shift: "On shift", off_shift: "Off shift",
      go_on_shift: "Go on shift", go_off_shift: "Go off shift", shift: "Shift",
      consent_title: "Location consent",
      consent_text: "While you are on shift we read your location continuously, only to: recommend nearby orders, let dispatchers see who is working, and verify check-ins on site. It stops when you go off shift. You can withdraw consent at any time.",
      consent_yes: "Agree and go on shift", consent_no: "Not now", consent_needed: "Location consent is needed to go on shift",
      offers: "Offers", feed: "Recommended", my_orders: "My orders", points: "Points",
      none: "Nothing yet", claim: "Grab", accept: "Accept", decline: "Decline", open: "Open",
      en_route: "On my way", check_in: "Check in", deliver: "Deliver", check_out: "Check out",
      navigate: "Navigate", amap: "AMap", baidu: "Baidu Maps",
      locating: "Locating…", geo_denied: "No location: {message}",
      too_far: "You are {distance} m from the site; check-in works within {radius} m",
      photos: "Photos", notes: "Notes", readings: "Readings (one name=value per line)",
      delivered: "Delivered", claimed: "The order is yours", taken: "Too late: someone else took it",
      hint: "Work hint", procedure: "Procedure", tools: "Tools", spare_parts: "Spare parts", safety: "Safety",
      no_hint: "No hint for this work type", history: "Site history", by: "{name} · {date}",
      points_total: "{points} points", breakdown: "Breakdown", back: "Back", status: "Status",
      new_offer: "New order to grab", new_assignment: "New assignment", cancelled: "Order cancelled",
      distance: "{km} km", priority_urgent: "Urgent", sign_out: "Sign out",
      status_published: "Published", status_offered: "Offered", status_assigned: "Assigned", status_accepted: "Accepted",
      status_en_route: "En route", status_on_site: "On site", status_delivered: "Delivered", status_verified: "Verified",
      status_rejected: "Sent back", status_cancelled: "Cancelled", status_expired: "Expired",
      queued_fixes: "{n} positions waiting", error: "Error: {detail}"
    }
  };
  let lang = localStorage.getItem("gw_lang") || "zh";
  function t(key, vars) {
    const text = (STRINGS[lang] && STRINGS[lang][key]) || STRINGS.zh[key] || key;
    return text.replace(/\{(\w+)\}/g, (_, name) => (vars && name in vars ? vars[name] : ""));
  }
  function setLang(next) { lang = next; localStorage.setItem("gw_lang", next); }
  function getLang() { return lang; }
  window.gwI18n = { t, setLang, getLang };
})();
