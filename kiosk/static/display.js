/* The hall display: the newest call large, earlier calls below, people waiting per service.
 * Live from server-sent events; EventSource reconnects by itself, and if it gives up (a
 * proxy answered with an error) a new one is opened a little later. */
"use strict";

(function () {
  const body = document.body;
  const $ = (id) => document.getElementById(id);
  const counterText = (c) => body.dataset.counter.replace("{counter}", c);
  let soundOn = true;
  let audio = null;
  let lastCall = null;
  let source = null;

  function chime() {
    if (!soundOn) return;
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === "suspended") audio.resume();
      const now = audio.currentTime;
      [[880, 0], [660, 0.35]].forEach(([freq, at]) => {
        const osc = audio.createOscillator();
        const gain = audio.createGain();
        osc.type = "sine";
        osc.frequency.value = freq;
        gain.gain.setValueAtTime(0.0001, now + at);
        gain.gain.exponentialRampToValueAtTime(0.4, now + at + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, now + at + 0.6);
        osc.connect(gain).connect(audio.destination);
        osc.start(now + at);
        osc.stop(now + at + 0.65);
      });
    } catch (e) { /* no audio device: the screen still shows the call */ }
  }

  function show(board) {
    const [newest, ...earlier] = board.called;
    $("none").hidden = Boolean(newest);
    $("current-ticket").hidden = !newest;
    $("current-counter").hidden = !newest;
    if (newest) {
      $("current-ticket").textContent = newest.ticket;
      $("current-counter").textContent = counterText(newest.counter);
      const call = newest.id + "@" + newest.called_at;
      if (lastCall !== null && call !== lastCall) {
        chime();
        const current = $("current");
        current.classList.remove("flash");
        void current.offsetWidth; // restart the highlight animation
        current.classList.add("flash");
      }
      lastCall = call;
    } else {
      lastCall = "";
    }
    $("recent").replaceChildren(...earlier.map((c) => {
      const li = document.createElement("li");
      const t = document.createElement("span");
      t.className = "ticket";
      t.textContent = c.ticket;
      const k = document.createElement("span");
      k.className = "counter";
      k.textContent = counterText(c.counter);
      li.append(t, k);
      return li;
    }));
    $("waiting").replaceChildren(...board.waiting.map((w) => {
      const li = document.createElement("li");
      const s = document.createElement("span");
      s.className = "service";
      s.textContent = w.name ? w.service + " · " + w.name : w.service;
      const n = document.createElement("span");
      n.className = "count";
      n.textContent = String(w.count);
      li.dataset.service = w.service;
      li.append(s, n);
      return li;
    }));
  }

  function connect() {
    source = new EventSource(body.dataset.events);
    source.addEventListener("board", (e) => {
      $("offline").hidden = true;
      show(JSON.parse(e.data));
    });
    source.addEventListener("open", () => { $("offline").hidden = true; });
    source.addEventListener("error", () => {
      $("offline").hidden = false;
      if (source.readyState === EventSource.CLOSED) {
        source.close();
        setTimeout(connect, 3000);
      }
    });
  }

  $("sound").addEventListener("click", () => {
    soundOn = !soundOn;
    const b = $("sound");
    b.setAttribute("aria-pressed", String(soundOn));
    b.textContent = soundOn ? body.dataset.soundOn : body.dataset.soundOff;
    if (soundOn) chime(); // a tap also unlocks audio in browsers that need a gesture
  });

  connect();
})();
