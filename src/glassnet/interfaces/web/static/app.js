// glassnet's drawing page: draw with a mouse, pen or finger (Pointer Events), send the
// drawing to the server as a PNG, and show what the network sees and thinks.
//
// The drawing is kept as a list of strokes in coordinates from 0 to 1, so it can be
// redrawn at any screen size, undone stroke by stroke, and exported at a fixed size.
"use strict";

(() => {
  const EXPORT_SIZE = 280;          // the PNG sent to the server is 280x280, whatever the screen
  const INK = "#111827";
  const PAPER = "#ffffff";
  const UNSURE_BELOW = 0.6;         // same default as `glassnet predict --threshold`
  const MIN_INTERVAL_MS = 40;       // at most ~25 predictions a second while drawing

  // The page's modes. Each says where to send the drawing and how to show the answer.
  // The server lists the modes it offers in /api/info; with more than one, a switch
  // appears. A new mode (reading a whole number, say) adds an entry here.
  const MODES = {
    digit: { title: "One digit", hint: "Draw a digit 0–9 here", render: renderDigit, clear: clearDigit, aspect: 1 },
    // A whole number on a pad three times as wide; the server cuts it into digits.
    number: { title: "Whole number", hint: "Write a number across the pad", render: renderNumber,
              clear: clearDigit, aspect: 3 },
  };

  const $ = (id) => document.getElementById(id);
  const pad = $("pad");
  const padContext = pad.getContext("2d");
  const state = {
    strokes: [],        // [{width, points: [[x, y], ...]}], x and y in 0..1
    current: null,      // the stroke being drawn
    penWidth: 20,       // in pixels of the 280x280 export
    mode: "digit",
    endpoints: { digit: "/api/predict" },
    busy: false,        // a request is in flight
    dirty: false,       // the drawing changed since the last request was sent
    lastSent: 0,
    timer: null,
    classes: [],
  };

  // -- drawing ------------------------------------------------------------------------
  function paint(context, size, height = size) {
    // Strokes are stored in 0..1 of the pad's width and height; pen widths are in pixels
    // of a pad EXPORT_SIZE tall, so they scale with the height.
    context.fillStyle = PAPER;
    context.fillRect(0, 0, size, height);
    context.strokeStyle = INK;
    context.fillStyle = INK;
    context.lineCap = "round";
    context.lineJoin = "round";
    for (const stroke of state.strokes) {
      const points = stroke.points;
      const width = stroke.width * height / EXPORT_SIZE;
      if (points.length === 1) {               // a tap is a dot
        context.beginPath();
        context.arc(points[0][0] * size, points[0][1] * height, width / 2, 0, 2 * Math.PI);
        context.fill();
        continue;
      }
      context.lineWidth = width;
      context.beginPath();
      context.moveTo(points[0][0] * size, points[0][1] * height);
      // Curves through the midpoints between samples: smooth strokes from jerky input.
      for (let i = 1; i < points.length - 1; i++) {
        const mx = (points[i][0] + points[i + 1][0]) / 2, my = (points[i][1] + points[i + 1][1]) / 2;
        context.quadraticCurveTo(points[i][0] * size, points[i][1] * height, mx * size, my * height);
      }
      const last = points[points.length - 1];
      context.lineTo(last[0] * size, last[1] * height);
      context.stroke();
    }
  }

  function redraw() {
    padContext.setTransform(1, 0, 0, 1, 0, 0);
    paint(padContext, pad.width, pad.height);
    $("pad-hint").hidden = state.strokes.length > 0;
    $("undo").disabled = state.strokes.length === 0;
    $("clear").disabled = state.strokes.length === 0;
  }

  function fitCanvas() {
    // Match the canvas's pixels to its size on screen (times the pixel ratio: crisp on phones).
    const side = Math.round(pad.getBoundingClientRect().width * (window.devicePixelRatio || 1));
    const height = Math.round(side / MODES[state.mode].aspect);
    if (side > 0 && (pad.width !== side || pad.height !== height)) {
      pad.width = side;
      pad.height = height;
      redraw();
    }
  }

  function pointOf(event) {
    const box = pad.getBoundingClientRect();
    const clamp = (v) => Math.min(1, Math.max(0, v));
    return [clamp((event.clientX - box.left) / box.width), clamp((event.clientY - box.top) / box.height)];
  }

  pad.addEventListener("pointerdown", (event) => {
    if (event.pointerType === "mouse" && event.button !== 0) return;
    event.preventDefault();
    pad.setPointerCapture(event.pointerId);
    state.current = { width: state.penWidth, points: [pointOf(event)] };
    state.strokes.push(state.current);
    redraw();
    changed();
  });

  pad.addEventListener("pointermove", (event) => {
    if (!state.current) return;
    // Coalesced events: every sample the pen sent since the last frame, not just the last.
    const events = (event.getCoalescedEvents && event.getCoalescedEvents()) || [];
    for (const e of (events.length ? events : [event])) state.current.points.push(pointOf(e));
    redraw();
    changed();
  });

  function endStroke() {
    if (!state.current) return;
    state.current = null;
    changed();
  }
  for (const name of ["pointerup", "pointercancel", "lostpointercapture"]) pad.addEventListener(name, endStroke);

  function undo() {
    state.strokes.pop();
    state.current = null;
    redraw();
    changed();
  }

  function clearAll() {
    state.strokes = [];
    state.current = null;
    redraw();
    changed();
  }

  $("undo").addEventListener("click", undo);
  $("clear").addEventListener("click", clearAll);
  document.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z") {
      event.preventDefault();
      undo();
    }
  });
  $("stroke").addEventListener("input", (event) => {
    state.penWidth = Number(event.target.value);
    $("stroke-out").value = event.target.value;
  });

  // -- asking the server --------------------------------------------------------------
  function exportPNG() {
    const canvas = document.createElement("canvas");
    canvas.width = EXPORT_SIZE * MODES[state.mode].aspect;
    canvas.height = EXPORT_SIZE;
    paint(canvas.getContext("2d"), canvas.width, canvas.height);
    return canvas.toDataURL("image/png");
  }

  function changed() {
    if (state.strokes.length === 0) {          // a blank canvas gets no prediction
      state.dirty = false;
      MODES[state.mode].clear();
      return;
    }
    state.dirty = true;
    schedule();
  }

  function schedule() {
    if (state.busy || state.timer || !state.dirty) return;
    const wait = Math.max(0, state.lastSent + MIN_INTERVAL_MS - performance.now());
    state.timer = setTimeout(() => { state.timer = null; send(); }, wait);
  }

  async function send() {
    if (!state.dirty || state.busy) return;
    state.dirty = false;
    state.busy = true;
    state.lastSent = performance.now();
    const mode = state.mode;
    const body = { image: exportPNG() };
    if ($("inside").open && mode === "digit") body.inside = true;
    try {
      const response = await fetch(state.endpoints[mode], {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      });
      const result = await response.json();
      if (!response.ok) throw new Error(result.error || `the server answered ${response.status}`);
      $("status").textContent = "";
      // Only show it if the drawing still has ink (it may have been cleared meanwhile).
      if (state.strokes.length && mode === state.mode) MODES[mode].render(result);
    } catch (error) {
      $("status").textContent = `Couldn't get a prediction: ${error.message}`;
    } finally {
      state.busy = false;
      schedule();
    }
  }

  // -- showing the answer (digit mode) ------------------------------------------------
  function buildBars(classes) {
    const list = $("bars");
    list.replaceChildren();
    for (const name of classes) {
      const item = document.createElement("li");
      item.innerHTML = '<span class="name"></span><span class="track"><span class="fill"></span></span><span class="pct"></span>';
      item.querySelector(".name").textContent = name;
      list.append(item);
    }
    list.classList.add("idle");
  }

  function showSeen(image28) {
    // One 28x28 image, or (number mode) a list of them shown side by side.
    const images = Array.isArray(image28) && Array.isArray(image28[0] && image28[0][0]) ? image28 : [image28];
    const canvas = $("seen");
    canvas.width = 28 * images.length;
    canvas.style.width = images.length > 1 ? `${56 * images.length}px` : "";
    canvas.style.height = images.length > 1 ? "56px" : "";
    const context = canvas.getContext("2d");
    const pixels = context.createImageData(canvas.width, 28);
    images.forEach((image, n) => {
      for (let y = 0; y < 28; y++) {
        for (let x = 0; x < 28; x++) {
          const v = image ? Math.round(255 * image[y][x]) : 0;
          const i = 4 * (canvas.width * y + 28 * n + x);
          pixels.data[i] = pixels.data[i + 1] = pixels.data[i + 2] = v;
          pixels.data[i + 3] = 255;
        }
      }
    });
    context.putImageData(pixels, 0, 0);
  }

  function renderDigit(result) {
    if (result.blank) return clearDigit("Nothing to read yet: draw a bit more");
    const digit = $("digit");
    const unsure = result.confidence < UNSURE_BELOW;
    digit.textContent = result.label;
    digit.className = "digit" + (unsure ? " unsure" : "");
    const percent = (p) => `${(100 * p).toFixed(p >= 0.995 || p < 0.001 ? 0 : 1)}%`;
    $("confidence").textContent = unsure
      ? `Unsure: maybe ${result.label} (${percent(result.confidence)})`
      : `${percent(result.confidence)} sure`;
    const items = $("bars").children;
    $("bars").classList.remove("idle");
    result.probabilities.forEach((p, i) => {
      const item = items[i];
      if (!item) return;
      item.classList.toggle("best", i === result.index);
      item.querySelector(".fill").style.width = `${(100 * p).toFixed(1)}%`;
      item.querySelector(".pct").textContent = percent(p);
    });
    showSeen(result.image28);
    if (result.inside) renderInside(result.inside);
  }

  // -- showing the answer (number mode) -----------------------------------------------
  function renderNumber(result) {
    if (result.blank) return clearDigit("Nothing to read yet: write a bit more");
    const digit = $("digit");
    const unsure = result.confidence < UNSURE_BELOW;
    digit.textContent = result.text;
    digit.className = "digit" + (unsure ? " unsure" : "");
    const each = result.digits.map((d) => `${d.digit} ${Math.round(100 * d.confidence)}%`).join(", ");
    $("confidence").textContent = `${unsure ? "Unsure: " : ""}${Math.round(100 * result.confidence)}% sure ` +
      `of the whole number (${each})`;
    showSeen(result.images28);
  }

  function clearDigit(message) {
    $("digit").textContent = "?";
    $("digit").className = "digit idle";
    $("confidence").textContent = typeof message === "string" ? message : "Draw to start";
    for (const item of $("bars").children) {
      item.classList.remove("best");
      item.querySelector(".fill").style.width = "0";
      item.querySelector(".pct").textContent = "";
    }
    $("bars").classList.add("idle");
    showSeen(null);
    $("layers").replaceChildren();
    insideKey = "";
  }

  // -- look inside --------------------------------------------------------------------
  let insideKey = "";

  function layerTitle(layer) {
    const title = document.createElement("h3");
    const detail = document.createElement("span");
    const units = layer.maps ? `${layer.shape.join("×")} feature maps` : `${layer.shape.join("×")} units`;
    detail.textContent = ` (${layer.kind}: ${units}${layer.activation ? `, ${layer.activation}` : ""})`;
    title.append(layer.name, detail);
    return title;
  }

  function renderInside(layers) {
    const box = $("layers");
    const key = layers.map((l) => `${l.name}:${l.shape}`).join("|");
    if (key !== insideKey) {                   // build the cells once per model
      insideKey = key;
      box.replaceChildren();
      layers.forEach((layer, index) => {
        const section = document.createElement("div");
        section.className = "layer";
        section.append(layerTitle(layer));
        const grid = document.createElement("div");
        const last = index === layers.length - 1 && layer.values && layer.values.length === state.classes.length;
        grid.className = layer.maps ? "maps" : "cells" + (last ? " labelled" : "");
        const count = layer.maps ? layer.maps.length : layer.values.length;
        for (let i = 0; i < count; i++) {
          const cell = document.createElement(layer.maps ? "img" : "div");
          if (layer.maps) cell.alt = `feature map ${i + 1}`;
          else cell.className = "cell";
          if (last) cell.textContent = state.classes[i];
          grid.append(cell);
        }
        section.append(grid);
        box.append(section);
      });
    }
    layers.forEach((layer, index) => {
      const cells = box.children[index].lastChild.children;
      if (layer.maps) {
        layer.maps.forEach((url, i) => { cells[i].src = url; });
        return;
      }
      const top = Math.max(1e-6, ...layer.values.map(Math.abs));
      layer.values.forEach((v, i) => {
        const strength = Math.abs(v) / top;
        cells[i].style.backgroundColor = `rgba(37, 99, 235, ${(0.05 + 0.95 * strength).toFixed(3)})`;
        cells[i].classList.toggle("lit", strength > 0.5);
        cells[i].title = `${layer.name} #${i}: ${v}`;
      });
    });
  }

  $("inside").addEventListener("toggle", () => {
    if ($("inside").open && state.strokes.length) { state.dirty = true; schedule(); }
  });

  // -- the model ----------------------------------------------------------------------
  async function loadInfo() {
    try {
      const response = await fetch("/api/info");
      const info = await response.json();
      state.classes = info.classes;
      buildBars(info.classes);
      // Built from text nodes: the names come from the model file, never parsed as HTML.
      const part = (tag, text, className) => {
        const node = document.createElement(tag);
        node.textContent = text;
        if (className) node.className = className;
        return node;
      };
      const box = $("model-info");
      box.replaceChildren(part("strong", info.arch || info.model), info.dataset ? ` · ${info.dataset}` : "");
      if (typeof info.test_accuracy === "number") {
        box.append(" · test accuracy ", part("span", `${(100 * info.test_accuracy).toFixed(2)}%`, "acc"));
      } else {
        box.append(" · test accuracy not recorded");
      }
      box.append(part("span", ` · ${info.params.toLocaleString("en")} weights`, "weights"));
      box.title = `model file: ${info.file}`;
      setUpModes(info.modes || []);
    } catch (error) {
      $("model-info").textContent = "can't reach the glassnet server";
    }
  }

  function setUpModes(modes) {
    const known = modes.filter((m) => MODES[m.name]);
    for (const m of known) state.endpoints[m.name] = m.endpoint;
    const nav = $("modes");
    nav.hidden = known.length < 2;
    nav.replaceChildren();
    for (const m of known) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = MODES[m.name].title;
      button.setAttribute("aria-pressed", String(m.name === state.mode));
      button.addEventListener("click", () => {
        MODES[state.mode].clear();
        const reshape = MODES[m.name].aspect !== MODES[state.mode].aspect;
        state.mode = m.name;
        for (const b of nav.children) b.setAttribute("aria-pressed", String(b === button));
        $("pad-hint").textContent = MODES[m.name].hint;
        document.body.classList.toggle("wide-pad", MODES[m.name].aspect > 1);
        $("bars").hidden = m.name !== "digit";
        $("inside").parentElement.hidden = m.name !== "digit";   // look inside: one digit only
        if (reshape) {                        // a drawing doesn't fit a pad of another shape
          state.strokes = [];
          fitCanvas();
          redraw();
        }
        changed();
      });
      nav.append(button);
    }
  }

  new ResizeObserver(fitCanvas).observe(pad);
  fitCanvas();
  redraw();
  clearDigit();
  loadInfo();
})();
