/* On-screen keyboard: Serbian Cyrillic, Serbian Latin, English, e-mail, digits, phone, code.
 * Keys are real buttons (touch, mouse or keyboard alone); they never take the focus away
 * from the answer field, so a physical keyboard or a barcode scanner keeps working too. */
"use strict";

(function () {
  const split = (s) => Array.from(s);
  const LAYOUTS = {
    cyrillic: [split("љњертзуиопшђ"), split("асдфгхјклчћж"), split("џцвбнм-'")],
    latin: [split("qwertzuiopšđ"), split("asdfghjklčćž"), split("yxcvbnm-'")],
    qwerty: [split("qwertyuiop"), split("asdfghjkl"), split("zxcvbnm-'"), split("čćšžđ")],
    email: [split("1234567890"), split("qwertyuiop"), split("asdfghjkl@"), split("zxcvbnm.-_")],
    digits: [split("123"), split("456"), split("789"), split("0")],
    phone: [split("123"), split("456"), split("789"), ["+", "0"]],
    // Reference codes never hold 0, 1, I, L or O (they read like each other): no such keys.
    code: [split("23456789"), split("QWERTYUP"), split("ASDFGHJK"), split("ZXCVBNM-")],
  };
  const LETTERS = new Set(["cyrillic", "latin", "qwerty"]);

  function button(label, cls, action) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "key " + cls;
    b.textContent = label;
    b.dataset.action = action;
    return b;
  }

  class Keyboard {
    constructor(root, input, onChange, onDraw) {
      this.root = root;
      this.input = input;
      this.onChange = onChange;
      this.onDraw = onDraw || (() => {}); // the keys were drawn anew (another layout: its size)
      this.layout = null;
      this.home = null; // the letters layout of this step, to come back to from digits
      this.shift = false;
      this.autoCapital = false;
      this.ui = {};
      // Keep the focus (and the caret) in the answer field while keys are pressed.
      root.addEventListener("mousedown", (e) => e.preventDefault());
      root.addEventListener("click", (e) => {
        const key = e.target.closest("button.key");
        if (key) this.press(key);
      });
    }

    show(layout, options) {
      this.ui = options.ui || {};
      this.autoCapital = Boolean(options.autoCapital);
      this.home = LETTERS.has(layout) ? layout : null;
      this.setLayout(layout);
      this.root.hidden = false;
    }

    hide() {
      this.root.hidden = true;
      this.root.replaceChildren();
      this.layout = null;
    }

    setLayout(layout) {
      this.layout = layout;
      this.updateShift();
      this.draw();
    }

    updateShift() {
      const v = this.input.value;
      this.shift = this.autoCapital && (v === "" || /[\s-]$/.test(v));
    }

    draw() {
      const rows = LAYOUTS[this.layout] || LAYOUTS.digits;
      const pad = !LETTERS.has(this.layout) && this.layout !== "email" && this.layout !== "code";
      this.root.className = "keyboard " + (pad ? "pad" : "letters") + " layout-" + this.layout;
      const out = [];
      for (const row of rows) {
        const line = document.createElement("div");
        line.className = "key-row";
        for (const ch of row) {
          const label = this.shift ? ch.toLocaleUpperCase() : ch;
          const b = button(label, "char", "char");
          b.dataset.char = ch;
          line.append(b);
        }
        out.push(line);
      }
      const controls = this.controls();
      if (pad) {
        // A digit pad keeps its keys together: delete sits beside the 0.
        const lastRow = out[out.length - 1];
        const del = controls.lastElementChild;
        while (lastRow.firstChild) controls.insertBefore(lastRow.firstChild, del);
        out[out.length - 1] = controls;
      } else {
        out.push(controls);
      }
      // A keyboard-only user keeps their place when the keys are redrawn (shift, layout).
      const focused = this.root.contains(document.activeElement) ? document.activeElement : null;
      this.root.replaceChildren(...out);
      if (focused) {
        const same = Array.from(this.root.querySelectorAll("button.key")).find(
          (b) => b.dataset.action === focused.dataset.action &&
            (b.dataset.char || "") === (focused.dataset.char || "") &&
            (b.dataset.layout || "") === (focused.dataset.layout || ""));
        (same || this.root.querySelector("button.key")).focus();
      }
      this.onDraw();
    }

    controls() {
      const line = document.createElement("div");
      line.className = "key-row controls";
      if (LETTERS.has(this.layout)) {
        const shift = button("⇧", "shift", "shift");
        shift.setAttribute("aria-label", this.ui["keyboard.shift"] || "Shift");
        shift.setAttribute("aria-pressed", String(this.shift));
        line.append(shift);
        const other = this.layout === "cyrillic" ? "latin" : "cyrillic";
        const name = other === "cyrillic" ? this.ui["keyboard.cyrillic"] : this.ui["keyboard.latin"];
        const script = button(name || other, "switch", "layout");
        script.dataset.layout = other;
        line.append(script);
        const digits = button("123", "switch", "layout");
        digits.dataset.layout = "digits";
        digits.setAttribute("aria-label", (this.ui["keyboard.digits"] || "") + " 123");
        line.append(digits);
        line.append(button(this.ui["keyboard.space"] || "␣", "space", "space"));
      } else if (this.layout === "digits" && this.home) {
        const back = button(this.home === "cyrillic" ? "АБВ" : "ABC", "switch", "layout");
        back.dataset.layout = this.home;
        line.append(back);
      }
      const del = button("⌫", "delete", "delete");
      del.setAttribute("aria-label", this.ui["keyboard.delete"] || "Delete");
      line.append(del);
      return line;
    }

    press(key) {
      const action = key.dataset.action;
      if (action === "char") {
        const ch = this.shift ? key.dataset.char.toLocaleUpperCase() : key.dataset.char;
        this.insert(ch);
      } else if (action === "space") {
        this.insert(" ");
      } else if (action === "delete") {
        this.remove();
      } else if (action === "shift") {
        this.shift = !this.shift;
        this.draw();
        return;
      } else if (action === "layout") {
        this.setLayout(key.dataset.layout);
        return;
      }
      this.onChange();
    }

    insert(text) {
      const el = this.input;
      const max = el.maxLength > 0 ? el.maxLength : 500;
      if (el.value.length >= max) return;
      const start = el.selectionStart ?? el.value.length;
      const end = el.selectionEnd ?? el.value.length;
      el.setRangeText(text, start, end, "end");
      this.afterEdit();
    }

    remove() {
      const el = this.input;
      const start = el.selectionStart ?? el.value.length;
      const end = el.selectionEnd ?? el.value.length;
      if (start !== end) el.setRangeText("", start, end, "end");
      else if (start > 0) el.setRangeText("", start - 1, start, "end");
      this.afterEdit();
    }

    afterEdit() {
      const was = this.shift;
      this.updateShift();
      if (was !== this.shift && LETTERS.has(this.layout)) this.draw();
    }
  }

  window.KioskKeyboard = Keyboard;
})();
