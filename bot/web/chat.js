/* The web chat page: a transcript, the latest choices as buttons, a text field.
 * Replies come back with each message; notifications arrive through a long poll.
 * Nothing is stored in the browser; the server keeps the transcript of this session. */
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const log = $("log");
  const input = $("input");
  const status = $("status");
  let ui = {};
  let last = 0;
  let sending = false;
  let polling = false;
  const shown = new Set();

  function newId() {
    const bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  async function call(method, path, payload) {
    const options = { method, credentials: "same-origin", cache: "no-store", headers: {} };
    if (payload !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(payload);
    }
    const response = await fetch("/chat/api/" + path, options);
    const data = await response.json().catch(() => null);
    return { status: response.status, data };
  }

  function adopt(data) {
    if (!data) return;
    ui = data.ui || ui;
    if (data.language) document.documentElement.lang = data.language;
    $("send").textContent = ui["send"] || $("send").textContent;
    $("title").textContent = ui["page.title"] || $("title").textContent;
    document.title = ui["page.title"] || document.title;
    $("input-label").textContent = ui["input.label"] || $("input-label").textContent;
    for (const item of data.items || []) show(item);
    last = Math.max(last, data.last || 0);
  }

  function code(src) {
    const img = document.createElement("img");
    img.src = src;
    img.alt = ui["qr"] || "QR";
    img.className = "qr";
    return img;
  }

  function link(href, label) {
    const a = document.createElement("a");
    a.href = href;
    a.textContent = label || href;
    a.rel = "noopener noreferrer";
    a.className = "link";
    return a;
  }

  function show(item) {
    if (shown.has(item.id)) return; // a reply may also come through the long poll
    shown.add(item.id);
    for (const old of log.querySelectorAll(".choices button")) old.disabled = true;
    const box = document.createElement("article");
    box.className = "msg " + (item.from === "me" ? "me" : "bot");
    box.setAttribute("aria-label", item.from === "me" ? ui["you"] || "" : ui["assistant"] || "");
    const lines = item.text || [];
    // The last paragraph asks the question: it goes right above its buttons, under the
    // code, the QR code and the link the paragraphs before it speak of.
    const asks = item.choices && item.choices.length && lines.length ? 1 : 0;
    const paragraph = (line) => {
      const p = document.createElement("p");
      p.textContent = line;
      box.append(p);
    };
    lines.slice(0, lines.length - asks).forEach(paragraph);
    // Labelled for whom the screen is: "Your ticket" for a citizen, "Ticket" for an officer.
    const ticketLabel = item.ticket_label || ui["result.ticket"];
    const referenceLabel = item.reference_label || ui["result.reference"];
    if (item.ticket) box.append(badge(ticketLabel, item.ticket, "ticket"));
    if (item.reference) box.append(badge(referenceLabel, item.reference, "reference"));
    if (item.qr) box.append(code(item.qr));
    if (item.link) box.append(link(item.link, item.link_label || ui["open_telegram"]));
    if (item.viber_qr) box.append(code(item.viber_qr));
    if (item.viber_link) box.append(link(item.viber_link, ui["open_viber"]));
    lines.slice(lines.length - asks).forEach(paragraph);
    if (item.choices && item.choices.length) {
      const row = document.createElement("div");
      row.className = "choices";
      // Page turns (earlier or later times) in a row of their own under the answers.
      const turns = document.createElement("div");
      turns.className = "choices page-turns";
      for (const c of item.choices) {
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = c.label;
        b.dataset.id = c.id;
        b.addEventListener("click", () => send({ choice: c.id, label: c.label }));
        (c.id.startsWith("page:") ? turns : row).append(b);
      }
      box.append(row);
      if (turns.childElementCount) box.append(turns);
    }
    log.append(box);
    box.scrollIntoView({ block: "end" });
  }

  function badge(label, value, cls) {
    const p = document.createElement("p");
    p.className = "badge " + cls;
    const l = document.createElement("span");
    l.textContent = (label || "") + " ";
    const v = document.createElement("strong");
    v.textContent = value;
    p.append(l, v);
    return p;
  }

  function setStatus(text) {
    status.textContent = text || "";
    status.hidden = !text;
  }

  async function send(message) {
    if (sending) return;
    sending = true;
    const payload = { id: newId(), ...message };
    try {
      for (let attempt = 0; attempt < 3; attempt += 1) {
        try {
          // The same id on a retry: the server answers it once only.
          const { status: code, data } = await call("POST", "message", payload);
          if (code === 200) { setStatus(""); adopt(data); return true; }
          if (code < 500) break;
        } catch (e) { /* network: try again */ }
        await new Promise((r) => setTimeout(r, 800 * (attempt + 1)));
      }
      setStatus(ui["error"] || "!");
      return false;
    } finally {
      sending = false;
    }
  }

  $("form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    if (await send({ text })) input.value = "";
  });

  async function poll() {
    if (polling) return;
    polling = true;
    while (true) {
      try {
        const { status: code, data } = await call("GET", "events?after=" + last);
        if (code === 200) { setStatus(""); adopt(data); continue; }
      } catch (e) {
        setStatus(ui["offline"] || "…");
      }
      await new Promise((r) => setTimeout(r, 3000));
    }
  }

  async function start() {
    const { data } = await call("GET", "history");
    adopt(data);
    const params = new URLSearchParams(location.search);
    const deepLink = params.get("start");
    if (deepLink) {
      history.replaceState(null, "", location.pathname); // keep the link out of history
      await send({ command: "start", payload: deepLink });
    } else if (!data || !data.items || data.items.length === 0) {
      await send({ command: "start" });
    }
    input.focus();
    poll();
  }

  start();
})();
