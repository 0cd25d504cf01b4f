// glassnet's drawing page: draw with a mouse, pen or finger (Pointer Events), send the
// drawing to the server as a PNG, and show what the network (or two networks, side by
// side) sees and thinks, and which pixels mattered.
//
// The drawing is kept as a list of strokes in coordinates from 0 to 1, so it can be
// redrawn at any screen size, undone stroke by stroke, and exported at a fixed size.
"use strict";

(() => {
  const EXPORT_SIZE = 280;          // the PNG sent to the server is 280 pixels tall, whatever the screen
  const INK = "#111827";
  const PAPER = "#ffffff";
  const HEAT = [242, 107, 29];      // the saliency overlay's orange (as in the report's pictures)
  const MARKS = ["#2563eb", "#d9480f"];   // each model's boxes in whole-number mode
  const UNSURE_BELOW = 0.6;         // same default as `glassnet predict --threshold`
  const MIN_INTERVAL_MS = 40;       // at most ~25 predictions a second while drawing
  const phone = window.matchMedia("(max-width: 760px)");

  // The page's modes. Each says where to send the drawing and how to show the answer.
  // The server lists the modes it offers in /api/info; with more than one, a switch
  // appears. A new mode adds an entry here.
  const MODES = {
    digit: { title: "One digit", hint: "Draw a digit 0–9 here", render: renderDigit, aspect: () => 1 },
    // A whole number on a wide pad (less wide on a phone, so it stays tall enough to
    // write on); the server cuts it into digits.
    number: { title: "Whole number", hint: "Write a number across the pad", render: renderNumber,
              aspect: () => (phone.matches ? 1.5 : 3) },
  };

  const $ = (id) => document.getElementById(id);
  const pad = $("pad");
  const padContext = pad.getContext("2d");
  const state = {
    strokes: [],        // [{width, points: [[x, y], ...]}], x and y in 0..1
    current: null,      // the stroke being drawn
    penWidth: 20,       // in pixels of the 280-pixel-tall export
    mode: "digit",
    aspect: 1,          // the pad's width / height
    endpoints: { digit: "/api/predict" },
    busy: false,        // a request is in flight
    dirty: false,       // the drawing changed since the last request was sent
    lastSent: 0,
    timer: null,
    classes: [],
    models: [],         // from /api/info: one entry per model
    collect: null,      // the folder corrections are kept in, or null
    reader: null,       // the line reader whole numbers are read with (glassnet serve --reader), or null
    insideModel: 0,     // whose layers "Look inside" shows
    insideDigit: 0,     // whole-number mode: which digit it shows
  };
  const cards = [];     // one per model: the elements of its result card, and its last answer

  // -- drawing ------------------------------------------------------------------------
  function paint(context, width, height) {
    // Strokes are stored in 0..1 of the pad's width and height; pen widths are in pixels
    // of a pad EXPORT_SIZE tall, so they scale with the height.
    context.fillStyle = PAPER;
    context.fillRect(0, 0, width, height);
    context.strokeStyle = INK;
    context.fillStyle = INK;
    context.lineCap = "round";
    context.lineJoin = "round";
    for (const stroke of state.strokes) {
      const points = stroke.points;
      const pen = stroke.width * height / EXPORT_SIZE;
      if (points.length === 1) {               // a tap is a dot
        context.beginPath();
        context.arc(points[0][0] * width, points[0][1] * height, pen / 2, 0, 2 * Math.PI);
        context.fill();
        continue;
      }
      context.lineWidth = pen;
      context.beginPath();
      context.moveTo(points[0][0] * width, points[0][1] * height);
      // Curves through the midpoints between samples: smooth strokes from jerky input.
      for (let i = 1; i < points.length - 1; i++) {
        const mx = (points[i][0] + points[i + 1][0]) / 2, my = (points[i][1] + points[i + 1][1]) / 2;
        context.quadraticCurveTo(points[i][0] * width, points[i][1] * height, mx * width, my * height);
      }
      const last = points[points.length - 1];
      context.lineTo(last[0] * width, last[1] * height);
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
    // The pad's shape comes from the mode (and, for a whole number, the screen); a drawing
    // made for another shape would come out stretched, so it is cleared.
    const aspect = MODES[state.mode].aspect();
    if (aspect !== state.aspect) {
      state.aspect = aspect;
      $("pad-wrap").style.aspectRatio = `${aspect} / 1`;
      if (state.strokes.length) { state.strokes = []; changed(); }
    }
    // Match the canvas's pixels to its size on screen (times the pixel ratio: crisp on phones).
    const width = Math.round(pad.getBoundingClientRect().width * (window.devicePixelRatio || 1));
    const height = Math.round(width / aspect);
    if (width > 0 && (pad.width !== width || pad.height !== height)) {
      pad.width = $("marks").width = width;
      pad.height = $("marks").height = height;
      redraw();
      drawMarks();
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
    canvas.width = Math.round(EXPORT_SIZE * state.aspect);
    canvas.height = EXPORT_SIZE;
    paint(canvas.getContext("2d"), canvas.width, canvas.height);
    return canvas.toDataURL("image/png");
  }

  async function post(endpoint, body) {
    const response = await fetch(endpoint, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    const result = await response.json();
    if (!response.ok) throw new Error(result.error || `the server answered ${response.status}`);
    return result;
  }

  function changed() {
    $("correct-said").textContent = "";
    if (state.strokes.length === 0) {          // a blank canvas gets no prediction
      state.dirty = false;
      clearAnswers();
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
    const image = exportPNG();
    const inside = $("inside").open;
    // Every model gets the same drawing, at once; each answer goes to its own card.
    await Promise.all(cards.map(async (card, i) => {
      const body = { image, model: i };
      if (mode === "digit") {
        body.saliency = true;
        if (inside && i === state.insideModel) body.inside = true;
      }
      try {
        const result = await post(state.endpoints[mode], body);
        card.status.textContent = "";
        // Only show it if the drawing still has ink (it may have been cleared meanwhile).
        if (state.strokes.length && mode === state.mode) MODES[mode].render(card, result);
      } catch (error) {
        card.status.textContent = `Couldn't get an answer: ${error.message}`;
      }
    }));
    if (mode === "number" && state.strokes.length && mode === state.mode) {
      drawMarks();
      if (inside) await lookInsideDigit();
    }
    state.busy = false;
    schedule();
  }

  // -- the result cards -----------------------------------------------------------------
  function makeCard(root) {
    const find = (selector) => root.querySelector(selector);
    return { root, title: find(".result-title"), digit: find(".digit"), confidence: find(".confidence"),
             bars: find(".bars"), seen: find(".seen-view"), heat: find(".heat-view"),
             perDigit: find(".per-digit"), status: find(".status"), result: null };
  }

  function copyCard(index) {
    // A second model's card: a copy of the first, its ids made unique.
    const root = $("result-0").cloneNode(true);
    for (const node of [root, ...root.querySelectorAll("[id]")]) node.id = node.id.replace(/-0$/, "") + `-${index}`;
    root.setAttribute("aria-labelledby", `result-title-${index}`);
    $("layout").append(root);
    return makeCard(root);
  }

  function buildBars(list, classes) {
    list.replaceChildren();
    for (const name of classes) {
      const item = document.createElement("li");
      item.innerHTML = '<span class="name"></span><span class="track"><span class="fill"></span></span><span class="pct"></span>';
      item.querySelector(".name").textContent = name;
      list.append(item);
    }
    list.classList.add("idle");
  }

  const percent = (p) => `${(100 * p).toFixed(p >= 0.995 || p < 0.001 ? 0 : 1)}%`;

  function drawDigit(canvas, image, heat) {
    // A 28x28 image as the network sees it: light ink on black; with ``heat`` (0..1), the
    // pixels that mattered blended towards orange, in proportion to how much they mattered.
    const context = canvas.getContext("2d");
    const pixels = context.createImageData(28, 28);
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        const ink = image ? 255 * image[y][x] : 0;
        const a = heat ? 0.9 * Math.min(1, Math.max(0, heat[y][x])) : 0;
        const i = 4 * (28 * y + x);
        for (let c = 0; c < 3; c++) pixels.data[i + c] = Math.round((1 - a) * ink + a * HEAT[c]);
        pixels.data[i + 3] = 255;
      }
    }
    context.putImageData(pixels, 0, 0);
  }

  // -- showing the answer (digit mode) ------------------------------------------------
  function renderDigit(card, result) {
    card.result = result;
    if (result.blank) {
      $("correct").hidden = true;              // nothing to correct
      return clearCard(card, "Nothing to read yet: draw a bit more");
    }
    const refused = result.status === "not_a_digit";
    const unsure = result.status ? result.status === "unsure" : result.confidence < UNSURE_BELOW;
    card.digit.textContent = refused ? "✗" : result.label;
    card.digit.className = "digit" + (refused ? " refused" : unsure ? " unsure" : "");
    card.confidence.textContent = refused
      ? `That's not a digit: it looks like none of ${state.classes[0]}–${state.classes[state.classes.length - 1]} ` +
        `(the nearest is ${result.label}, ${percent(result.confidence)})`
      : unsure ? `Unsure: maybe ${result.label} (${percent(result.confidence)})`
      : `${percent(result.confidence)} sure`;
    const items = card.bars.children;
    card.bars.classList.remove("idle");
    card.bars.classList.toggle("refused", refused);
    result.probabilities.forEach((p, i) => {
      const item = items[i];
      if (!item) return;
      item.classList.toggle("best", i === result.index);
      item.querySelector(".fill").style.width = `${(100 * p).toFixed(1)}%`;
      item.querySelector(".pct").textContent = percent(p);
    });
    drawDigit(card.seen, result.image28);
    drawDigit(card.heat, result.image28, result.saliency);
    card.heat.dataset.drawn = result.saliency ? "yes" : "";
    if (result.inside) renderInside(result.inside);
    $("correct").hidden = !state.collect;
  }

  // -- showing the answer (number mode) -----------------------------------------------
  function renderNumber(card, result) {
    card.result = result;
    if (result.blank) return clearCard(card, "Nothing to read yet: write a bit more");
    const left = (result.left_out || []).length;
    const marks = `${left} mark${left > 1 ? "s" : ""} that ${left > 1 ? "are" : "is"} not a digit`;
    if (!result.digits.length) {
      card.digit.textContent = "✗";
      card.digit.className = "digit refused";
      card.confidence.textContent = `No digits here, only ${marks}`;
    } else {
      const unsure = result.confidence < UNSURE_BELOW;
      card.digit.textContent = result.text;
      card.digit.className = "digit" + (unsure ? " unsure" : "");
      card.confidence.textContent = `${unsure ? "Unsure: " : ""}${Math.round(100 * result.confidence)}% sure ` +
        `of the whole number${left ? `; left out ${marks}` : ""}`;
    }
    // With a line reader (glassnet serve --reader), say which files read the number.
    if (state.reader && result.reader) card.confidence.textContent += ` (read by ${result.reader})`;
    // One small card per digit: as the network saw it, what it read, and its ten bars.
    const box = card.perDigit;
    box.replaceChildren();
    result.digits.forEach((digit, n) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "one-digit" + (n === state.insideDigit ? " chosen" : "");
      button.title = "Look inside the network for this digit";
      const canvas = document.createElement("canvas");
      canvas.width = canvas.height = 28;
      drawDigit(canvas, result.images28[n]);
      const label = document.createElement("span");
      label.className = "read";
      label.textContent = `${digit.digit} · ${Math.round(100 * digit.confidence)}%`;
      const bars = document.createElement("span");
      bars.className = "mini-bars";
      (digit.probabilities || []).forEach((p, i) => {
        const bar = document.createElement("span");
        bar.style.height = `${Math.max(2, Math.round(100 * p))}%`;
        bar.title = `${state.classes[i]}: ${percent(p)}`;
        if (String(i) === String(digit.digit)) bar.className = "best";
        bars.append(bar);
      });
      const names = document.createElement("span");
      names.className = "mini-names";
      names.append(...state.classes.map((name) => part("span", name)));
      button.append(canvas, label, bars, names);
      button.addEventListener("click", () => {
        state.insideDigit = n;
        for (const b of box.children) b.classList.toggle("chosen", b === button);
        if ($("inside").open) lookInsideDigit();
      });
      box.append(button);
    });
  }

  function drawMarks() {
    // Whole-number mode: a box round each digit each model read, and a dashed one round
    // each mark it left out as not a digit. Boxes come in the pixels of the exported PNG.
    const canvas = $("marks");
    const context = canvas.getContext("2d");
    context.clearRect(0, 0, canvas.width, canvas.height);
    if (state.mode !== "number" || !state.strokes.length) return;
    const scale = canvas.height / EXPORT_SIZE;
    const font = Math.max(12, Math.round(canvas.height / 18));
    context.font = `600 ${font}px system-ui, sans-serif`;
    context.lineWidth = Math.max(1.5, canvas.height / 200);
    cards.forEach((card, i) => {
      const result = card.result;
      if (!result || result.blank || !result.digits) return;
      const color = MARKS[i % MARKS.length];
      const below = i % 2 === 1;               // the second model's labels go under its boxes ...
      const grow = 4 * i * context.lineWidth;  // ... and its boxes a little outside the first's
      const box = (b, dashed) => {
        context.setLineDash(dashed ? [6, 5] : []);
        context.strokeRect(b[0] * scale - grow, b[1] * scale - grow, (b[2] - b[0]) * scale + 2 * grow,
                           (b[3] - b[1]) * scale + 2 * grow);
      };
      const label = (b, text) => {
        const y = below ? Math.min(canvas.height - 2, b[3] * scale + font + 2) : Math.max(font, b[1] * scale - 4);
        context.fillText(text, b[0] * scale, y);
      };
      context.strokeStyle = context.fillStyle = color;
      for (const d of result.digits) {
        box(d.box, false);
        label(d.box, `${d.digit} ${Math.round(100 * d.confidence)}%`);
      }
      context.strokeStyle = context.fillStyle = "#6b7280";
      for (const mark of result.left_out || []) {
        box(mark.box, true);
        label(mark.box, "not a digit");
      }
    });
    context.setLineDash([]);
  }

  function clearCard(card, message) {
    card.result = null;
    card.digit.textContent = "?";
    card.digit.className = "digit idle";
    card.confidence.textContent = typeof message === "string" ? message : "Draw to start";
    for (const item of card.bars.children) {
      item.classList.remove("best");
      item.querySelector(".fill").style.width = "0";
      item.querySelector(".pct").textContent = "";
    }
    card.bars.classList.add("idle");
    card.bars.classList.remove("refused");
    drawDigit(card.seen, null);
    drawDigit(card.heat, null);
    card.heat.dataset.drawn = "";
    card.perDigit.replaceChildren();
  }

  function clearAnswers() {
    for (const card of cards) clearCard(card);
    $("correct").hidden = true;
    $("layers").replaceChildren();
    $("inside-which").hidden = true;
    insideKey = "";
    drawMarks();
  }

  // -- "Wrong? It was a ..." ----------------------------------------------------------
  function buildChoices(classes) {
    const box = $("choices");
    box.replaceChildren();
    for (const name of classes) {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = name;
      button.title = `Keep this drawing as a ${name}, to teach the model your handwriting`;
      button.addEventListener("click", () => keepCorrection(name));
      box.append(button);
    }
  }

  async function keepCorrection(label) {
    const said = $("correct-said");
    try {
      const kept = await post("/api/collect", { image: exportPNG(), label });
      said.className = "correct-said";
      said.textContent = `Kept as a ${label}: ${kept.saved} in ${kept.folder} (${kept.total} drawing${kept.total === 1 ? "" : "s"} there). ` +
        `To teach the model your handwriting: glassnet train --resume ${state.models[0].file} ` +
        `--extra-data ${kept.folder}`;
    } catch (error) {
      said.className = "correct-said failed";
      said.textContent = `Couldn't keep it: ${error.message}`;
    }
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
    const key = `${state.insideModel}|` + layers.map((l) => `${l.name}:${l.shape}`).join("|");
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

  async function lookInsideDigit() {
    // Whole-number mode: look inside the chosen digit, sent as the 28x28 the network saw.
    const result = cards[state.insideModel] && cards[state.insideModel].result;
    const which = $("inside-which");
    if (!result || result.blank || !result.images28 || !result.images28.length) {
      which.hidden = true;
      return;
    }
    const n = Math.min(state.insideDigit, result.images28.length - 1);
    which.hidden = false;
    which.textContent = `Digit ${n + 1} of ${result.images28.length}, read as ${result.digits[n].digit}` +
      (result.images28.length > 1 ? ": click another digit under the answer to look inside it." : ".");
    try {
      const answer = await post("/api/predict", { pixels: result.images28[n], inside: true, model: state.insideModel });
      if (answer.inside && state.mode === "number") renderInside(answer.inside);
    } catch (error) {
      which.textContent = `Couldn't look inside: ${error.message}`;
    }
  }

  $("inside").addEventListener("toggle", () => {
    if ($("inside").open && state.strokes.length) { state.dirty = true; schedule(); }
  });
  $("inside-model").addEventListener("change", (event) => {
    state.insideModel = Number(event.target.value);
    if (state.strokes.length) { state.dirty = true; schedule(); }
  });

  // -- the models ---------------------------------------------------------------------
  const part = (tag, text, className) => {
    // Built from text nodes: names come from the model file, never parsed as HTML.
    const node = document.createElement(tag);
    node.textContent = text;
    if (className) node.className = className;
    return node;
  };

  function describe(info) {
    const nodes = [part("strong", info.arch || info.model)];
    if (info.dataset) nodes.push(` · ${info.dataset}`);
    if (typeof info.test_accuracy === "number") {
      nodes.push(" · test accuracy ", part("span", `${(100 * info.test_accuracy).toFixed(2)}%`, "acc"));
    } else {
      nodes.push(" · test accuracy not recorded");
    }
    return nodes;
  }

  async function loadInfo() {
    let info;
    try {
      const response = await fetch("/api/info");
      info = await response.json();
    } catch (error) {
      $("model-info").textContent = "can't reach the glassnet server";
      return;
    }
    state.classes = info.classes;
    state.models = info.models || [info];
    state.collect = info.collect || null;
    state.reader = info.reader || null;
    while (cards.length < state.models.length) cards.push(cards.length ? copyCard(cards.length) : makeCard($("result-0")));
    const compare = state.models.length > 1;
    $("layout").classList.toggle("compare", compare);
    const box = $("model-info");
    box.replaceChildren();
    state.models.forEach((model, i) => {
      if (i) box.append(part("span", " vs ", "versus"));
      box.append(...describe(model));
      if (compare) {                            // each card says whose answer it is
        cards[i].title.replaceChildren(...describe(model));
        cards[i].title.title = `model file: ${model.file}`;
      }
    });
    if (!compare) box.append(part("span", ` · ${info.params.toLocaleString("en")} weights`, "weights"));
    box.title = `model file${compare ? "s" : ""}: ${state.models.map((m) => m.file).join(", ")}`;
    for (const card of cards) buildBars(card.bars, info.classes);
    buildChoices(info.classes);
    // Said once: a model that can't refuse pictures that are not digits.
    const blind = state.models.filter((m) => m.can_refuse === false);
    if (blind.length) {
      $("note").hidden = false;
      $("note").textContent = blind.map((m) => `${m.file} has no not-a-digit detector, so it reads anything as ` +
        `a digit; add one with: glassnet calibrate ${m.file}`).join(" ");
    }
    const select = $("inside-model");
    select.replaceChildren(...state.models.map((m, i) => {
      const option = part("option", m.arch || m.model || m.file);
      option.value = String(i);
      return option;
    }));
    $("inside-model-label").hidden = !compare;
    setUpModes(info.modes || []);
    clearAnswers();
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
        clearAnswers();
        state.mode = m.name;
        state.insideDigit = 0;
        for (const b of nav.children) b.setAttribute("aria-pressed", String(b === button));
        $("pad-hint").textContent = MODES[m.name].hint;
        const number = m.name === "number";
        document.body.classList.toggle("wide-pad", number);
        for (const card of cards) {
          card.bars.hidden = number;              // whole numbers: bars per digit instead
          card.perDigit.hidden = !number;
          for (const figure of card.root.querySelectorAll(".guess figure")) figure.hidden = number;
        }
        fitCanvas();
        changed();
      });
      nav.append(button);
    }
  }

  new ResizeObserver(fitCanvas).observe(pad);
  phone.addEventListener("change", fitCanvas);
  fitCanvas();
  redraw();
  loadInfo();
})();
