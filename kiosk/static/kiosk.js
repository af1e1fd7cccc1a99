/* The kiosk page: shows the screen the server sends, sends one tap or answer at a time.
 * Nothing is kept in the browser: no localStorage, no sessionStorage, no URL state. The
 * server holds the conversation; a reload asks it for the current screen. */
"use strict";

(function () {
  const body = document.body;
  const API = body.dataset.api;
  const IDLE_MS = Number(body.dataset.idleSeconds || 60) * 1000;
  const COUNTDOWN_S = Math.max(1, Math.round(Number(body.dataset.countdownSeconds || 20)));
  // While someone types or taps without sending, the server is told now and then that the
  // session is in use: it wipes sessions whose page went silent (crashed, unplugged).
  const TOUCH_MS = Number(body.dataset.touchSeconds || 5) * 1000;
  const SCANNER_GAP_MS = 40; // a scanner types faster than any person
  const SLIP_REFRESH_MS = Math.max(0.2, Number(body.dataset.slipRefreshSeconds || 5)) * 1000;
  const LANGUAGE_SCREEN = "kiosk.language";
  const LONG_QUESTION = 140; // longer texts are set as body text, not as a heading
  const $ = (id) => document.getElementById(id);

  const el = {
    app: $("app"), hall: $("hall-name"), footer: $("footer"), screen: $("screen"),
    prompt: $("prompt"), question: $("question"), paragraphs: $("paragraphs"), notice: $("notice"),
    error: $("error"), slipNote: $("slip-note"), result: $("result"), ticketBox: $("result-ticket"),
    ticket: $("ticket-value"), referenceBox: $("result-reference"), reference: $("reference-value"),
    qrBox: $("result-qr"), qr: $("qr-image"), qrCaption: $("qr-caption"),
    viberBox: $("result-qr-viber"), viberQr: $("qr-viber-image"), viberCaption: $("qr-viber-caption"),
    ticketLabel: $("ticket-label"), referenceLabel: $("reference-label"),
    form: $("answer-form"), input: $("answer-input"), inputLabel: $("input-label"),
    submit: $("submit"), keyboard: $("keyboard"), choices: $("choices"),
    changes: $("changes"), changesLabel: $("changes-label"), changeList: $("change-list"),
    back: $("back"), finish: $("finish"), large: $("large-text"), contrast: $("high-contrast"),
    langs: $("langs"), settings: $("settings"), idle: $("idle"), idleTitle: $("idle-title"),
    idleBody: $("idle-body"), idleCount: $("idle-count"), idleStay: $("idle-stay"),
    idleLeave: $("idle-leave"), busy: $("busy"), busyText: $("busy-text"),
  };

  // language: the server's default, written into the page, until an answer gives one;
  // epoch: bumped by the wipe, so an answer still on its way cannot bring a screen back.
  const state = {
    seq: 0, screen: null, ui: {}, language: document.documentElement.lang, sending: false, epoch: 0,
  };
  const fit = window.kioskFitter(el.app, el.screen); // no screen ever needs scrolling (fit.js)
  const keyboard = new window.KioskKeyboard(el.keyboard, el.input, () => onTyped(), () => fit());
  let typing = { last: 0, slow: false };

  // -- talking to the server ---------------------------------------------------------------

  async function call(method, path, payload) {
    const options = { method, credentials: "same-origin", cache: "no-store", headers: {} };
    if (payload !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(payload);
    }
    const response = await fetch(API + path, options);
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    return { status: response.status, data };
  }

  async function send(answer) {
    if (state.sending) return; // a double tap sends once
    state.sending = true;
    setBusy(true);
    showError("");
    const seq = state.seq + 1;
    const epoch = state.epoch;
    try {
      const { status, data } = await call("POST", "/message", { seq, ...answer });
      if (epoch !== state.epoch) return;
      if (status === 503) {
        // Nothing happened on the server: keep the screen and what was typed, try again.
        showError((data && data.message) || state.ui["error.unavailable"]);
      } else if (data && data.screen) {
        render(data);
      } else if (status >= 400) {
        showError(state.ui["error.refused"] || state.ui["error.unavailable"]);
      }
    } catch (e) {
      if (epoch === state.epoch) showError(state.ui["error.network"]);
    } finally {
      if (epoch === state.epoch) {
        state.sending = false;
        setBusy(false);
      }
    }
  }

  async function restore() {
    const epoch = state.epoch;
    try {
      const { data } = await call("GET", "/state");
      if (data && data.screen && epoch === state.epoch) render(data);
    } catch (e) {
      showError(state.ui["error.network"] || "…");
    }
  }

  // -- drawing a screen ---------------------------------------------------------------------

  function render(data) {
    const before = state.screen;
    state.seq = data.seq;
    state.screen = data.screen;
    state.ui = data.ui || state.ui;
    state.language = data.language || state.language;
    if (data.hall) el.hall.textContent = data.hall;
    const s = data.screen;
    body.dataset.screen = s.name; // for the operator's eye and the tests: no personal data
    body.dataset.seq = String(state.seq);
    body.dataset.expect = s.expect || "";
    document.documentElement.lang = s.name === LANGUAGE_SCREEN ? "sr" : state.language;
    drawChrome();
    // The last paragraph asks the question; those before it tell what came of the answer.
    // The result screen asks nothing: every paragraph says what to do next.
    const result = Boolean(s.result);
    body.classList.toggle("is-result", result);
    const paragraphs = s.paragraphs || [];
    const question = paragraphs.length && !result ? paragraphs[paragraphs.length - 1] : "";
    el.question.textContent = question;
    el.question.hidden = result;
    el.question.classList.toggle("long", question.length > LONG_QUESTION);
    const told = result ? paragraphs : paragraphs.slice(0, -1);
    el.paragraphs.replaceChildren(...told.map((text) => {
      const p = document.createElement("p");
      p.append(...keepCodesWhole(text));
      return p;
    }));
    el.notice.textContent = s.notice || "";
    drawResult(s);
    drawSlip(s.slip);
    followSlip(s);
    // The same question again (the answer was refused): keep the answer to correct it.
    const again = before && s.input && before.input && before.name === s.name;
    // Asked again after a refusal: what was typed, to correct it; back at an answered
    // question: the answer given, not an empty field.
    drawAnswer(s, again ? el.input.value : s.answer || "");
    drawChoices(s);
    const onStart = s.name === LANGUAGE_SCREEN;
    el.langs.hidden = onStart;
    el.back.hidden = onStart || s.end;
    el.finish.hidden = onStart || s.end; // the end screen has its own big "Finish"
    el.footer.hidden = el.back.hidden && el.finish.hidden;
    fit();
    armIdle();
    if (s.input) {
      el.input.focus();
      if (again) el.input.select(); // a new scan or new typing replaces the refused answer
    } else {
      (result ? el.result : el.prompt).focus(); // the result is read out first
    }
  }

  window.addEventListener("resize", () => fit());

  // A code like K7M4-PX9N or A001 is never split over two lines.
  function keepCodesWhole(text) {
    const parts = [];
    let last = 0;
    for (const m of text.matchAll(/\b[A-Z0-9]{2,}(?:-[A-Z0-9]{2,})+\b/g)) {
      parts.push(document.createTextNode(text.slice(last, m.index)));
      const span = document.createElement("span");
      span.className = "code";
      span.textContent = m[0];
      parts.push(span);
      last = m.index + m[0].length;
    }
    parts.push(document.createTextNode(text.slice(last)));
    return parts;
  }

  function drawChrome() {
    const ui = state.ui;
    document.title = ui["page.title"] || document.title;
    el.large.textContent = ui["large_text"];
    el.contrast.textContent = ui["high_contrast"];
    el.back.textContent = ui["back"];
    el.finish.textContent = ui["finish"];
    el.submit.textContent = ui["submit"];
    el.inputLabel.textContent = ui["input.label"];
    el.settings.setAttribute("aria-label", ui["toolbar.label"]);
    el.langs.setAttribute("aria-label", ui["language.switch"]);
    el.keyboard.setAttribute("aria-label", ui["keyboard.label"]);
    el.choices.setAttribute("aria-label", ui["choices.label"]);
    el.changesLabel.textContent = ui["changes.label"];
    el.ticketLabel.textContent = ui["result.ticket"];
    el.referenceLabel.textContent = ui["result.reference"];
    el.qrCaption.textContent = ui[(state.screen && state.screen.qr_caption) || "result.qr"];
    el.viberCaption.textContent = ui["result.qr_viber"];
    el.idleTitle.textContent = ui["idle.title"];
    el.idleStay.textContent = ui["idle.stay"];
    el.idleLeave.textContent = ui["idle.leave"];
    el.busyText.textContent = ui["busy"];
    for (const b of el.langs.querySelectorAll("button.lang")) {
      b.setAttribute("aria-pressed", String(b.dataset.lang === state.language));
    }
  }

  // The result: the queue number largest, then the reference code; the first of them is
  // the screen's heading. The QR code goes with what to do next.
  function drawResult(s) {
    el.ticket.textContent = s.ticket || "";
    el.ticketBox.hidden = !s.ticket;
    el.reference.textContent = s.reference || "";
    el.referenceBox.hidden = !s.reference;
    el.referenceBox.setAttribute("aria-level", s.ticket ? "2" : "1");
    const caption = state.ui[s.qr_caption || "result.qr"] || "";
    showCode(el.qr, el.qrBox, s.qr, caption);
    el.qrCaption.textContent = caption;
    showCode(el.viberQr, el.viberBox, s.qr_viber, state.ui["result.qr_viber"] || "");
    el.result.hidden = !(s.ticket || s.reference || s.qr);
  }

  // A chat's QR code with its caption as the image's text, or nothing.
  function showCode(img, box, src, caption) {
    if (src) {
      img.src = src;
      img.alt = caption;
    } else {
      img.removeAttribute("src");
      img.alt = "";
    }
    box.hidden = !src;
  }

  // Whether the slip is printing, or waits for the printer (then all of it is on screen).
  function drawSlip(slip) {
    el.slipNote.textContent = slip ? slip.text : "";
    el.slipNote.hidden = !slip;
    el.slipNote.classList.toggle("delayed", Boolean(slip && !slip.ready));
    body.classList.toggle("has-slip", Boolean(slip && !slip.ready));
    fit();
  }

  // While a slip's status is shown, ask now and then: the printer may stop or recover.
  // Only the note changes; the screen, what was typed and the idle timer stay as they are.
  let slipTimer = 0;
  function followSlip(s) {
    clearInterval(slipTimer);
    slipTimer = 0;
    if (!s || !s.slip) return;
    const seq = state.seq;
    const epoch = state.epoch;
    slipTimer = setInterval(async () => {
      if (epoch !== state.epoch || seq !== state.seq) { clearInterval(slipTimer); return; }
      if (state.sending) return;
      try {
        const { status, data } = await call("GET", "/state");
        if (epoch !== state.epoch || seq !== state.seq || status !== 200) return;
        if (!data || data.seq !== seq || !data.screen || data.screen.name !== state.screen.name) return;
        const now = data.screen.slip;
        const was = state.screen.slip;
        if (JSON.stringify(now) === JSON.stringify(was)) return; // no news: nothing re-read aloud
        state.screen.slip = now;
        drawSlip(now);
      } catch (e) { /* asked again at the next tick */ }
    }, SLIP_REFRESH_MS);
  }

  function drawAnswer(s, kept) {
    el.input.value = kept;
    typing = { last: 0, slow: false };
    el.form.hidden = !s.input;
    body.classList.toggle("has-keyboard", Boolean(s.input));
    if (s.input) {
      el.input.dataset.expect = s.expect;
      el.input.maxLength = s.expect === "code" ? 64 : 200;
      keyboard.show(s.keyboard || "cyrillic", {
        ui: state.ui, autoCapital: s.expect === "name",
      });
    } else {
      keyboard.hide();
    }
  }

  function choiceButton(choice) {
    const b = document.createElement("button");
    b.type = "button";
    // A page turn (earlier or later times) answers nothing: it shows other choices.
    b.className = choice.id.startsWith("page:") ? "choice page" : "choice";
    b.textContent = choice.label;
    if (choice.lang) b.lang = choice.lang;
    b.dataset.id = choice.id;
    b.addEventListener("click", () => {
      if (choice.command) send({ command: choice.command, payload: choice.payload });
      else send({ choice: choice.id });
    });
    return b;
  }

  // The choices that change one answer (on the summary) are grouped below the main
  // action, which stands out above them.
  function drawChoices(s) {
    const all = s.choices || [];
    const main = all.filter((c) => !c.change);
    const changes = all.filter((c) => c.change);
    const buttons = main.map(choiceButton);
    if (changes.length) for (const b of buttons) b.classList.add("primary", "main-action");
    if (s.end) {
      const done = document.createElement("button");
      done.type = "button";
      done.className = "choice primary";
      done.id = "done";
      done.textContent = state.ui["finish"];
      done.addEventListener("click", () => wipe());
      buttons.push(done);
    }
    // Many short answers (times of day) in a grid, a few long ones in one or two columns.
    const short = main.every((c) => c.label.length <= 12);
    const layout = buttons.length > 8 && short ? " grid" : buttons.length > 4 ? " many" : "";
    el.choices.className = "choices" + layout;
    // The page turns in a row of their own under the answers, whatever their number.
    const turns = buttons.filter((b) => b.classList.contains("page"));
    const shown = buttons.filter((b) => !turns.includes(b));
    if (turns.length) {
      const row = document.createElement("div");
      row.className = "page-turns";
      row.append(...turns);
      shown.splice(buttons.indexOf(turns[0]), 0, row);
    }
    el.choices.replaceChildren(...shown);
    el.choices.hidden = buttons.length === 0;
    el.changeList.replaceChildren(...changes.map(choiceButton));
    el.changes.hidden = changes.length === 0;
    body.classList.toggle("has-changes", changes.length > 0);
  }

  function showError(text) {
    el.error.textContent = text || "";
    fit();
  }

  function setBusy(on) {
    body.classList.toggle("is-busy", on);
    el.busy.hidden = !on;
  }

  // -- answers typed on the screen, a keyboard or a scanner ---------------------------------

  function onTyped() {
    showError("");
    armIdle();
  }

  el.input.addEventListener("keydown", (e) => {
    if (e.key.length === 1) {
      const now = performance.now();
      if (typing.last && now - typing.last > SCANNER_GAP_MS) typing.slow = true;
      typing.last = now;
    }
  });
  el.input.addEventListener("input", () => {
    keyboard.afterEdit();
    onTyped();
  });
  el.keyboard.addEventListener("click", () => { typing.slow = true; });

  el.form.addEventListener("submit", (e) => {
    e.preventDefault();
    const value = el.input.value.trim();
    if (!value) { el.input.focus(); return; }
    const scanned = state.screen && state.screen.expect === "code" && !typing.slow &&
      typing.last > 0 && value.length >= 4;
    send(scanned ? { scan: value } : { text: value });
  });

  // A scanner (or someone typing) while the focus is on a button still fills the answer.
  document.addEventListener("keydown", (e) => {
    if (el.form.hidden || !el.idle.hidden || e.target === el.input) return;
    if (e.ctrlKey || e.altKey || e.metaKey || e.key.length !== 1) return;
    if (e.target.closest && e.target.closest("button") && e.key === " ") return;
    el.input.focus();
  }, true);

  // -- toolbar, navigation ------------------------------------------------------------------

  function toggle(button, cls) {
    const on = !document.documentElement.classList.contains(cls);
    document.documentElement.classList.toggle(cls, on);
    button.setAttribute("aria-pressed", String(on));
    fit();
  }
  el.large.addEventListener("click", () => toggle(el.large, "large"));
  el.contrast.addEventListener("click", () => toggle(el.contrast, "contrast"));
  el.langs.addEventListener("click", (e) => {
    const b = e.target.closest("button.lang");
    if (b && b.dataset.lang !== state.language) send({ command: "language", payload: b.dataset.lang });
  });
  el.back.addEventListener("click", () => send({ command: "back" }));
  el.finish.addEventListener("click", () => wipe());

  // -- privacy: the idle warning and the wipe -----------------------------------------------

  let idleTimer = 0;
  let countTimer = 0;
  let remaining = 0;
  let touched = 0;

  function dirty() {
    return state.seq > 0 || (state.screen && state.screen.name !== LANGUAGE_SCREEN) ||
      el.input.value !== "";
  }

  function armIdle() {
    clearTimeout(idleTimer);
    if (!el.idle.hidden) return;
    if (dirty()) {
      idleTimer = setTimeout(showIdle, IDLE_MS);
      touch();
    }
  }

  function touch() {
    const now = Date.now();
    if (now - touched < TOUCH_MS) return;
    touched = now;
    call("POST", "/touch").catch(() => { /* the next tap tries again */ });
  }

  function showIdle() {
    remaining = COUNTDOWN_S;
    el.idle.hidden = false;
    el.app.inert = true;
    tick();
    countTimer = setInterval(() => {
      remaining -= 1;
      if (remaining <= 0) wipe();
      else tick();
    }, 1000);
    el.idleStay.focus();
  }

  function tick() {
    const template = state.ui["idle.body"] || "{seconds}";
    el.idleBody.textContent = template.replace("{seconds}", String(remaining));
    el.idleCount.textContent = String(remaining);
  }

  function hideIdle() {
    clearInterval(countTimer);
    el.idle.hidden = true;
    el.app.inert = false;
  }

  async function wipe() {
    clearTimeout(idleTimer);
    hideIdle();
    // Clear everything on the page first, then tell the server to forget.
    el.input.value = "";
    keyboard.hide();
    body.classList.remove("has-keyboard");
    el.question.textContent = "";
    el.paragraphs.replaceChildren();
    el.choices.replaceChildren();
    el.changeList.replaceChildren();
    el.changes.hidden = true;
    body.classList.remove("is-result", "has-changes");
    drawResult({});
    followSlip(null);
    drawSlip(null);
    el.form.hidden = true;
    showError("");
    el.notice.textContent = "";
    for (const cls of ["large", "contrast"]) document.documentElement.classList.remove(cls);
    el.large.setAttribute("aria-pressed", "false");
    el.contrast.setAttribute("aria-pressed", "false");
    state.epoch += 1;
    state.sending = false;
    setBusy(false);
    const seq = state.seq + 1;
    state.seq = 0;
    state.screen = null;
    body.dataset.screen = "";
    try {
      const { data } = await call("POST", "/message", { seq, command: "wipe" });
      if (data && data.screen) {
        render(data);
        el.notice.textContent = (data.ui && data.ui["wiped"]) || "";
        return;
      }
    } catch (e) { /* the server wipes silent sessions itself */ }
    restore();
  }

  el.idleStay.addEventListener("click", () => { hideIdle(); armIdle(); });
  el.idleLeave.addEventListener("click", () => wipe());
  el.idle.addEventListener("keydown", (e) => {
    if (e.key === "Escape") { hideIdle(); armIdle(); }
  });
  for (const type of ["pointerdown", "keydown", "touchstart"]) {
    document.addEventListener(type, () => { if (el.idle.hidden) armIdle(); }, { capture: true, passive: true });
  }

  // A page restored from the back/forward cache asks the server what is current.
  window.addEventListener("pageshow", (e) => { if (e.persisted) restore(); });

  restore();
})();
