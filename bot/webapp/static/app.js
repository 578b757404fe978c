/* gridbot Mini App: the day's report on one screen.
 *
 * Plain script, no build step, nothing loaded from elsewhere except Telegram's own
 * telegram-web-app.js, and that only when the page was opened inside Telegram. Every check
 * is done by the bot (api/answer runs the chat's own parser and rules as the worker types);
 * this script only shows the form, sends what is typed and shows what the bot says.
 */
"use strict";

(function () {
  const TELEGRAM_SCRIPT = "https://telegram.org/js/telegram-web-app.js";
  const TYPING_PAUSE_MS = 350;
  const app = document.getElementById("app");
  const bar = document.getElementById("bar");
  let tg = null;
  let lang = "";
  let S = {};
  let session = null; // {grid, day, form, state}
  const pending = new Map(); // key -> its latest call, done when every call before it is
  const sequence = new Map(); // key -> number of its latest call
  const unanswered = new Map(); // key -> its calls the bot has not answered yet
  const refusedOver = new Map(); // key -> the draft's answer when the page's was refused
  let shown = -1; // revision of the draft state on the screen
  const timers = new Map();

  // ---------------------------------------------------------------- small helpers

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "text") node.textContent = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children) if (child) node.append(child);
    return node;
  }

  function say(key, params) {
    let text = S[key] || key;
    for (const [name, value] of Object.entries(params || {})) text = text.split("{" + name + "}").join(value);
    return text;
  }

  function show(...nodes) {
    app.replaceChildren(...nodes);
    bar.hidden = true;
    bar.replaceChildren();
  }

  function banner(text, bad) {
    return el("p", { class: bad ? "banner bad" : "banner", id: "message", text: text });
  }

  let inFlight = 0;

  function busy(change) {
    // While the bot is checking something, say so (the cursor; scripts read data-busy).
    inFlight += change;
    document.body.dataset.busy = inFlight > 0 ? "1" : "";
  }

  async function api(path, body) {
    busy(1);
    try {
      return await call(path, body);
    } finally {
      busy(-1);
    }
  }

  async function call(path, body) {
    const headers = { "Content-Type": "application/json", "Authorization": "tma " + tg.initData };
    if (lang) headers["Accept-Language"] = lang;
    const payload = Object.assign({ grid_id: session ? session.grid.id : null }, body || {});
    try {
      const response = await fetch("api/" + path, { method: "POST", headers, body: JSON.stringify(payload) });
      const data = await response.json().catch(() => ({}));
      return { status: response.status, data };
    } catch (error) {
      return { status: 0, data: { error: say("network") } };
    }
  }

  function refused(result) {
    // 401/403: nothing else can be done on this page; say why, in the worker's language.
    show(banner(result.data.error || say("network"), true));
    if (result.status === 0) app.append(el("button", { class: "wide", onclick: start, text: say("retry") }));
  }

  // ---------------------------------------------------------------- start

  function loadTelegram() {
    return new Promise((resolve) => {
      const script = el("script", { src: TELEGRAM_SCRIPT });
      script.onload = resolve;
      script.onerror = resolve;
      document.head.append(script);
    });
  }

  function applyTheme() {
    const root = document.documentElement;
    for (const [name, value] of Object.entries(tg.themeParams || {})) {
      root.style.setProperty("--tg-theme-" + name.replace(/_/g, "-"), value);
    }
    if (tg.colorScheme) root.dataset.scheme = tg.colorScheme;
  }

  async function loadStrings() {
    const user = tg && tg.initDataUnsafe && tg.initDataUnsafe.user;
    lang = (user && user.language_code) || navigator.language || "";
    const response = await fetch("api/strings?lang=" + encodeURIComponent(lang)).catch(() => null);
    const data = response ? await response.json().catch(() => null) : null;
    if (data) {
      S = data.strings;
      document.documentElement.lang = data.locale.replace("_", "-");
    }
  }

  async function start() {
    if (!(window.Telegram && window.Telegram.WebApp) && location.hash.includes("tgWebAppData")) {
      await loadTelegram();
    }
    tg = window.Telegram && window.Telegram.WebApp;
    await loadStrings();
    if (!tg || !tg.initData) {
      show(banner(say("outside_telegram"), true));
      return;
    }
    tg.ready();
    if (tg.expand) tg.expand();
    applyTheme();
    show(el("p", { class: "status", text: say("loading") }));
    const result = await api("form");
    if (result.status !== 200) return refused(result);
    session = result.data;
    if (session.filed) return showFiled(session.filed, true);
    render();
  }

  // ---------------------------------------------------------------- the form

  function render() {
    const { form, state } = session;
    const nodes = [
      el("h1", { text: session.grid.name }),
      el("p", { class: "sub", text: session.area + " · " + session.day + " · " + form.title }),
    ];
    if (form.openings.length) {
      nodes.push(el("h2", { text: say("openings_title") }), el("p", { class: "note", text: say("openings_help") }));
      for (const opening of form.openings) nodes.push(countCard(opening, state.openings[opening.key]));
    }
    nodes.push(el("h2", { text: say("questions_title") }));
    for (const field of form.fields) nodes.push(fieldCard(field, state));
    nodes.push(incidentsSection());
    show(...nodes);
    bar.hidden = false;
    bar.replaceChildren(el("button", { class: "primary wide", id: "review", onclick: openReview, text: say("review") }));
    apply(state);
  }

  function fieldCard(field, state) {
    if (field.kind === "stock") {
      return el("section", { class: "card", id: "q-" + field.key },
        el("span", { class: "q", text: field.label }),
        el("p", { class: "help", text: field.help }),
        el("div", { class: "computed", id: "s-" + field.key }),
        el("p", { class: "note", id: "sf-" + field.key }));
    }
    if (field.kind === "count") return countCard(field, state.values[field.key]);
    if (field.kind === "choice") return choiceCard(field, state.values[field.key]);
    return textCard(field, state.values[field.key]);
  }

  function head(field) {
    const label = el("label", { class: "q", for: "f-" + field.key, text: field.label });
    if (field.required === false) label.append(" (" + say("optional") + ")");
    return [label, el("p", { class: "help", text: field.help })];
  }

  function feedback(key) {
    return [el("div", { class: "error", id: "e-" + key }), el("div", { class: "warning", id: "w-" + key })];
  }

  function countCard(field, value) {
    const input = el("input", {
      class: "num", id: "f-" + field.key, type: "text", inputmode: "numeric", autocomplete: "off",
      enterkeyhint: "next", value: value === undefined || value === null ? "" : String(value),
    });
    watch(input, field.key);
    const zero = el("button", { type: "button", class: "zero", id: "z-" + field.key, text: "0", "aria-label": say("none") });
    zero.addEventListener("click", () => {
      input.value = "0";
      sendNow(field.key, "0");
    });
    const row = el("div", { class: "row" }, input, field.unit ? el("span", { class: "unit", text: field.unit }) : null, zero);
    return el("section", { class: "card", id: "q-" + field.key }, ...head(field), row, ...feedback(field.key));
  }

  function textCard(field, value) {
    const input = el("textarea", { id: "f-" + field.key, maxlength: String(field.max_length) });
    input.value = value || "";
    watch(input, field.key);
    return el("section", { class: "card", id: "q-" + field.key }, ...head(field), input, ...feedback(field.key));
  }

  function choiceCard(field, value) {
    const group = el("div", { class: "choices", role: "group", id: "f-" + field.key });
    for (const choice of field.choices) {
      const button = el("button", {
        type: "button", "data-key": choice.key, "aria-pressed": String(choice.key === value), text: choice.label,
      });
      button.addEventListener("click", () => {
        for (const other of group.children) other.setAttribute("aria-pressed", String(other === button));
        send(field.key, choice.key);
      });
      group.append(button);
    }
    return el("section", { class: "card", id: "q-" + field.key }, ...head(field), group, ...feedback(field.key));
  }

  function watch(input, key) {
    input.addEventListener("input", () => {
      clearTimeout(timers.get(key));
      timers.set(key, setTimeout(() => { timers.delete(key); send(key, input.value); }, TYPING_PAUSE_MS));
    });
    input.addEventListener("change", () => sendNow(key, input.value));
  }

  function sendNow(key, value) {
    // Instead of when the worker pauses typing.
    clearTimeout(timers.get(key));
    timers.delete(key);
    return send(key, value);
  }

  function inTurn(key, work) {
    // Calls about one question (or the incidents) go one after another: the next is sent
    // only when the bot has answered the one before, so the draft never ends with an answer
    // the worker has since replaced. A call overtaken while it waits is not sent at all.
    const number = (sequence.get(key) || 0) + 1;
    sequence.set(key, number);
    unanswered.set(key, (unanswered.get(key) || 0) + 1);
    const run = () => (sequence.get(key) === number ? work(number) : undefined);
    const done = () => unanswered.set(key, unanswered.get(key) - 1);
    const request = (pending.get(key) || Promise.resolve()).then(run, run).finally(done);
    pending.set(key, request);
    return request;
  }

  function send(key, value) {
    return inTurn(key, (number) => api("answer", { key, value }).then((result) => {
      if (result.status === 401 || result.status === 403) return refused(result);
      if (result.status === 409 && result.data.filed) return showFiled({ text: result.data.error, lines: [] });
      if (result.data.state) update(result.data.state);
      if (sequence.get(key) !== number) return; // a later answer to the same question says what is wrong
      const error = document.getElementById("e-" + key);
      const warning = document.getElementById("w-" + key);
      const card = document.getElementById("q-" + key);
      const ok = result.status === 200;
      if (error) error.textContent = ok ? "" : result.data.error || "";
      if (warning) warning.textContent = ok ? result.data.warnings.join("\n") : "";
      if (card) card.classList.toggle("invalid", !ok);
      if (ok) refusedOver.delete(key);
      else refusedOver.set(key, stored(session.state, key));
    }));
  }

  function update(state) {
    // Replies to answers sent one after another may arrive in any order: the bot numbers
    // every state of the draft, and a state older than the one on the screen is dropped.
    if (state.revision > shown) apply(state);
  }

  function apply(state) {
    shown = state.revision;
    if (state.day !== session.day) return location.reload(); // a new day: its own form and draft
    session.state = state;
    const asked = new Set(state.asked);
    for (const field of session.form.fields) {
      const card = document.getElementById("q-" + field.key);
      if (field.kind === "stock") {
        const stock = state.stocks[field.key];
        document.getElementById("s-" + field.key).textContent = stock.closing + (field.unit ? " " + field.unit : "");
        document.getElementById("sf-" + field.key).textContent =
          stock.opening === null || stock.opening === undefined ? "" : say("computed", { opening: stock.opening, closing: stock.closing });
      } else if (card) {
        card.hidden = !asked.has(field.key);
      }
    }
    refill(state);
  }

  function refill(state) {
    // Answers given meanwhile in the chat show up here too, except where the worker is
    // typing or has an answer on its way. A refused answer stays on the screen, with why,
    // until the chat answers that question.
    const openings = session.form.openings || [];
    for (const field of openings.concat(session.form.fields)) {
      const input = document.getElementById("f-" + field.key);
      if (!input || field.kind === "stock" || editing(field.key, input)) continue;
      const value = stored(state, field.key);
      const card = document.getElementById("q-" + field.key);
      if (card.classList.contains("invalid")) {
        if (refusedOver.get(field.key) === value) continue;
        card.classList.remove("invalid");
        document.getElementById("e-" + field.key).textContent = "";
      }
      if (field.kind === "choice") {
        for (const button of input.children) button.setAttribute("aria-pressed", String(button.dataset.key === value));
      } else if (input.value !== value) {
        input.value = value;
      }
    }
  }

  function stored(state, key) {
    const value = key in state.openings ? state.openings[key] : state.values[key];
    return value === undefined || value === null ? "" : String(value);
  }

  function editing(key, input) {
    return input.contains(document.activeElement) || timers.has(key) || (unanswered.get(key) || 0) > 0;
  }

  // ---------------------------------------------------------------- incidents

  function incidentsSection() {
    const list = el("div", { id: "incidents" });
    const section = el("section", {},
      el("h2", { text: say("incidents_title") }),
      el("p", { class: "note", id: "incidents-note", text: say("incidents_none") }),
      list,
      el("div", { class: "error", id: "e-incidents" }),
      el("button", { class: "wide", id: "incident-add", type: "button", onclick: () => addIncident(list), text: say("incident_add") }));
    for (const item of session.state.incidents) addIncident(list, item, true);
    return section;
  }

  function addIncident(list, item, quiet) {
    const categories = session.form.categories;
    const data = item || { category: categories[0].key, urgent: false, description: "" };
    const select = el("select", { class: "category", "aria-label": say("incident_category") });
    for (const category of categories) {
      select.append(el("option", { value: category.key, text: category.label, selected: category.key === data.category }));
    }
    const urgent = el("input", { type: "checkbox", class: "urgent" });
    urgent.checked = data.urgent;
    const always = el("p", { class: "note always" });
    const text = el("textarea", { class: "description", placeholder: say("incident_description"), maxlength: String(session.form.incident_max) });
    text.value = data.description;
    const remove = el("button", { type: "button", class: "remove", text: say("incident_remove") });
    const card = el("section", { class: "card incident stack" },
      el("label", { class: "q", text: say("incident_category") }), select,
      el("label", { class: "check" }, urgent, say("incident_urgent")), always,
      text, el("p", { class: "note", text: say("incident_initials") }), remove);
    const sync = () => {
      const category = categories.find((c) => c.key === select.value);
      urgent.disabled = category.urgent;
      if (category.urgent) urgent.checked = true;
      always.textContent = category.urgent ? say("incident_always_urgent") : "";
    };
    select.addEventListener("change", () => { sync(); sendIncidents(); });
    urgent.addEventListener("change", sendIncidents);
    text.addEventListener("change", sendIncidents);
    remove.addEventListener("click", () => { card.remove(); sendIncidents(); });
    list.append(card);
    sync();
    document.getElementById("incidents-note") && (document.getElementById("incidents-note").hidden = true);
    if (!quiet) text.focus();
  }

  function collectIncidents() {
    return Array.from(document.querySelectorAll(".incident")).map((card) => ({
      category: card.querySelector(".category").value,
      urgent: card.querySelector(".urgent").checked,
      description: card.querySelector(".description").value,
    }));
  }

  function sendIncidents() {
    // The list is read when its turn comes: what is sent is what the screen shows then.
    return inTurn("#incidents", () => api("incidents", { incidents: collectIncidents() }).then((result) => {
      if (result.status === 401 || result.status === 403) return refused(result);
      if (result.status === 409 && result.data.filed) return showFiled({ text: result.data.error, lines: [] });
      document.getElementById("e-incidents").textContent = result.status === 200 ? "" : result.data.error || "";
      if (result.data.state) update(result.data.state);
    }));
  }

  // ---------------------------------------------------------------- review and submit

  async function settle() {
    for (const [key, timer] of timers) {
      clearTimeout(timer);
      const input = document.getElementById("f-" + key);
      if (input && "value" in input && input.tagName !== "DIV") await send(key, input.value);
    }
    timers.clear();
    await Promise.all(pending.values());
    if (document.querySelector(".incident") || session.state.incidents.length) await sendIncidents();
  }

  async function openReview() {
    await settle();
    session.formView = Array.from(app.childNodes);
    const result = await api("review");
    if (result.status !== 200) return result.status === 409 && result.data.filed ? showFiled({ text: result.data.error, lines: [] }) : refused(result);
    showReview(result.data.review);
  }

  function showReview(review, message) {
    const blocked = review.missing.length > 0 || review.hard.length > 0;
    const nodes = [el("h1", { text: review.title })];
    if (message) nodes.push(banner(message, true));
    nodes.push(el("ul", { class: "lines", id: "summary" }, ...review.lines.map((line) => el("li", { text: line }))));
    if (review.missing.length) nodes.push(el("p", { class: "error", text: say("missing", { fields: review.missing.join(", ") }) }));
    for (const line of review.hard) nodes.push(el("p", { class: "error", text: "❌ " + line }));
    for (const line of review.soft) nodes.push(el("p", { class: "warning", text: "⚠️ " + line }));
    app.replaceChildren(...nodes);
    bar.replaceChildren(el("div", { class: "stack" },
      el("button", { class: "primary wide", id: "submit", disabled: blocked, onclick: () => submit(false), text: say("submit") }),
      el("button", { class: "wide", id: "back", onclick: backToForm, text: say("back") })));
    bar.hidden = false;
    window.scrollTo(0, 0);
  }

  function backToForm() {
    app.replaceChildren(...session.formView);
    bar.replaceChildren(el("button", { class: "primary wide", id: "review", onclick: openReview, text: say("review") }));
  }

  async function submit(confirmed) {
    const button = document.getElementById("submit");
    if (button) button.disabled = true;
    const result = await api("submit", { confirm: confirmed });
    if (result.status === 200) return showFiled(result.data.filed);
    if (result.status === 409 && result.data.review) return askSure(result.data.review, result.data.error);
    if (result.status === 409 && result.data.filed) return showFiled({ text: result.data.error, lines: [] }, true);
    if (result.status === 422 && result.data.review) return showReview(result.data.review, result.data.error);
    if (result.status === 0) { if (button) button.disabled = false; return app.prepend(banner(result.data.error, true)); }
    refused(result);
  }

  function askSure(review, message) {
    const dialog = el("div", { class: "dialog", role: "dialog", id: "confirm" },
      el("div", { class: "card stack" },
        el("h2", { text: say("confirm_title") }),
        el("p", { text: message }),
        ...review.soft.map((line) => el("p", { class: "warning", text: "⚠️ " + line })),
        el("button", { class: "primary wide", id: "confirm-yes", onclick: () => { dialog.remove(); submit(true); }, text: say("confirm_yes") }),
        el("button", { class: "wide", id: "confirm-no", onclick: () => { dialog.remove(); backToForm(); }, text: say("confirm_no") })));
    document.body.append(dialog);
  }

  function showFiled(filed) {
    show(el("h1", { id: "filed", text: say("filed_title") }), banner(filed.text),
      el("ul", { class: "lines" }, ...(filed.lines || []).map((line) => el("li", { text: line }))));
    bar.hidden = false;
    bar.replaceChildren(el("button", { class: "wide", id: "close", onclick: () => tg.close(), text: say("close") }));
  }

  start();
})();
