// featlearn lab: the page's state lives in the URL's query, so a
// configuration is a link. No build step: plain JavaScript, uPlot vendored.
"use strict";

const $ = (sel) => document.querySelector(sel);
const params = new URLSearchParams(location.search);

// setParam records a piece of state in the URL without reloading.
function setParam(k, v) {
  if (v === null || v === undefined || v === "") params.delete(k); else params.set(k, v);
  history.replaceState(null, "", "?" + params.toString());
}

// api posts (or gets) JSON and returns the decoded answer; errors throw
// with the server's message.
async function api(path, body, type) {
  const opts = body === undefined ? {} : {
    method: "POST",
    headers: { "Content-Type": type || "application/json" },
    body: type ? body : JSON.stringify(body),
  };
  const res = await fetch(path, opts);
  const data = await res.json().catch(() => ({ error: res.statusText }));
  if (!res.ok) throw new Error(data.error || res.statusText);
  return data;
}

function showFigure(fig, pic) {
  if (!pic || !pic.image) return;
  fig.querySelector("img").src = pic.image;
  const cap = fig.querySelector("figcaption");
  if (cap) cap.textContent = pic.title || "";
}

// ---- tabs ----
const tabs = ["draw", "train", "templates", "xor"];
const opened = {};
function showTab(name) {
  if (!tabs.includes(name)) name = "draw";
  for (const t of tabs) $("#" + t).hidden = t !== name;
  for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("active", b.dataset.tab === name);
  setParam("tab", name === "draw" ? null : name);
  if (!opened[name]) { opened[name] = true; ({ draw: initDraw, train: initTrain, templates: initTemplates, xor: initXor })[name](); }
  else if (name === "draw") loadModels($("#model").value); // training may have saved a checkpoint or changed a model
}
for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => showTab(b.dataset.tab));

// ---- Draw ----
const pad = $("#pad");
const ctx = pad.getContext("2d");
let drawn = false, dirty = false, inFlight = false, lastInspect = 0, inspectBusy = false, models = [];

function clearPad() {
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, pad.width, pad.height);
  drawn = false;
  for (const i of [1, 2, 3]) setGuess(i, null);
  const c28 = $("#input28").getContext("2d");
  c28.fillStyle = "#000"; c28.fillRect(0, 0, 28, 28);
  $("#draw-status").textContent = "Draw with the mouse or a finger.";
}

function padPoint(e) {
  const r = pad.getBoundingClientRect();
  return [(e.clientX - r.left) * pad.width / r.width, (e.clientY - r.top) * pad.height / r.height];
}

let stroke = null;
pad.addEventListener("pointerdown", (e) => {
  e.preventDefault();
  pad.setPointerCapture(e.pointerId);
  stroke = padPoint(e);
  ctx.lineWidth = 11; ctx.lineCap = "round"; ctx.lineJoin = "round"; ctx.strokeStyle = "#000";
  ctx.beginPath(); ctx.moveTo(stroke[0], stroke[1]); ctx.lineTo(stroke[0] + 0.01, stroke[1]); ctx.stroke();
  drawn = true; changed();
});
pad.addEventListener("pointermove", (e) => {
  if (!stroke) return;
  const p = padPoint(e);
  ctx.beginPath(); ctx.moveTo(stroke[0], stroke[1]); ctx.lineTo(p[0], p[1]); ctx.stroke();
  stroke = p; changed();
});
for (const ev of ["pointerup", "pointercancel"]) pad.addEventListener(ev, () => { if (stroke) { stroke = null; changed(true); } });
$("#clear").addEventListener("click", clearPad);

// changed asks for a prediction: one request at a time, the latest
// drawing next, so predictions follow the pen as fast as the server answers.
function changed(final) {
  dirty = true;
  predictSoon();
  if (final || performance.now() - lastInspect > 500) inspectSoon();
}

function padBlob() { return new Promise((ok) => pad.toBlob(ok, "image/png")); }

async function predictSoon() {
  if (inFlight || !dirty || !drawn) return;
  inFlight = true; dirty = false;
  try {
    const blob = await padBlob();
    const p = await api("/api/predict?model=" + encodeURIComponent($("#model").value), blob, "image/png");
    showInput(p.input);
    p.top.forEach((g, i) => setGuess(i + 1, g));
    $("#latency").textContent = "server " + (p.micros / 1000).toFixed(1) + " ms";
    $("#draw-status").textContent = "";
  } catch (err) {
    $("#draw-status").textContent = err.message;
  } finally {
    inFlight = false;
    if (dirty) setTimeout(predictSoon, 0);
  }
}

let inspectAgain = false;
async function inspectSoon() {
  if (!drawn) return;
  $("#layers").dataset.settled = "false";
  if (inspectBusy) { inspectAgain = true; return; }
  inspectBusy = true; inspectAgain = false; lastInspect = performance.now();
  try {
    const blob = await padBlob();
    const res = await api("/api/inspect?model=" + encodeURIComponent($("#model").value), blob, "image/png");
    showLayers(res);
  } catch (err) {
    /* the prediction shows the message */
  } finally {
    inspectBusy = false;
    if (inspectAgain) setTimeout(inspectSoon, 0);
    $("#layers").dataset.settled = String(!inspectAgain);
  }
}

function showInput(px) {
  const c = $("#input28").getContext("2d");
  const img = c.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = px[i];
    img.data[4 * i + 3] = 255;
  }
  c.putImageData(img, 0, 0);
}

function setGuess(i, g) {
  const el = $(i === 3 ? "#top3g" : "#top" + i);
  el.querySelector(".cls").textContent = g ? g.class : "-";
  el.querySelector(".bar span").style.width = g ? (100 * g.prob).toFixed(1) + "%" : "0";
  el.querySelector(".pct").textContent = g ? (100 * g.prob).toFixed(1) + " %" : "";
}

function showLayers(res) {
  const box = $("#layers");
  box.textContent = "";
  for (const p of [res.input, ...res.layers]) {
    const fig = document.createElement("figure");
    fig.className = "layer";
    const img = document.createElement("img");
    img.src = p.image; img.alt = p.title;
    const cap = document.createElement("figcaption");
    cap.textContent = [p.title, p.kind, p.shape].filter(Boolean).join(" · ");
    fig.append(img, cap);
    box.append(fig);
  }
  showFigure($("#filters"), res.filters);
}

async function loadModels(select) {
  const res = await api("/api/models");
  models = res.models;
  const sel = $("#model");
  sel.textContent = "";
  for (const m of models) {
    const o = document.createElement("option");
    o.value = m.id; o.textContent = m.title + (m.kind === "checkpoint" ? "" : m.trained ? "" : " (untrained)");
    sel.append(o);
  }
  sel.value = models.some((m) => m.id === select) ? select : "lenet";
  modelChosen();
}

async function modelChosen() {
  const id = $("#model").value;
  setParam("model", id === "lenet" ? null : id);
  const m = models.find((x) => x.id === id) || {};
  $("#model-status").textContent = m.status || "";
  $("#quick").hidden = !(m.trainable && !m.trained);
  try {
    showFigure($("#filters"), await api("/api/filters?model=" + encodeURIComponent(id)));
  } catch (err) {
    $("#model-status").textContent = err.message;
  }
  if (drawn) { dirty = true; predictSoon(); inspectSoon(); }
}
$("#model").addEventListener("change", modelChosen);

$("#quick").addEventListener("click", async () => {
  const model = $("#model").value;
  $("#quick").disabled = true;
  $("#model-status").textContent = "training on the server...";
  try {
    await api("/api/train/start", { model, epochs: 1, limit: 12000, lr: 0.05, momentum: 0.9, batch: 64, weight_decay: 0.0005 });
    for (;;) {
      await new Promise((ok) => setTimeout(ok, 500));
      const st = await api("/api/train/state");
      $("#model-status").textContent = st.status + ": step " + st.step;
      if (st.status !== "running" && st.status !== "paused") break;
    }
    await loadModels(model);
  } catch (err) {
    $("#model-status").textContent = err.message;
  } finally {
    $("#quick").disabled = false;
  }
});

function initDraw() {
  clearPad();
  loadModels(params.get("model") || "lenet");
}

// ---- Train ----
let chart = null, xs = [], losses = [], accs = [], redraw = false;
const tfields = { model: "#t-model", epochs: "#t-epochs", limit: "#t-limit", lr: "#t-lr", momentum: "#t-momentum", batch: "#t-batch", wd: "#t-wd" };

function trainForm() {
  const v = (k) => $(tfields[k]).value;
  return { model: v("model"), epochs: +v("epochs"), limit: +v("limit"), lr: +v("lr"), momentum: +v("momentum"), batch: +v("batch"), weight_decay: +v("wd") };
}

function initTrain() {
  for (const [k, sel] of Object.entries(tfields)) {
    if (params.has("t" + k)) $(sel).value = params.get("t" + k);
    $(sel).addEventListener("change", () => {
      setParam("t" + k, $(sel).value);
      if (["lr", "momentum", "batch", "wd"].includes(k)) liveSettings();
    });
  }
  chart = new uPlot({
    width: Math.min(760, $("#t-chart").parentElement.clientWidth - 30), height: 280,
    scales: { x: { time: false }, acc: { range: [0, 1] } },
    series: [{ label: "step" },
      { label: "loss", stroke: "#b2182b", width: 1 },
      { label: "accuracy", stroke: "#2166ac", width: 1, scale: "acc" }],
    axes: [{ label: "step" }, { label: "cross-entropy" }, { side: 1, scale: "acc", label: "batch accuracy", grid: { show: false } }],
  }, [[], [], []], $("#t-chart"));
  const es = new EventSource("/api/train/events");
  es.addEventListener("state", (e) => showState(JSON.parse(e.data)));
  es.addEventListener("history", (e) => {
    const h = JSON.parse(e.data);
    xs = []; losses = []; accs = [];
    for (const p of h.points || []) { xs.push(p[0]); losses.push(p[1]); accs.push(p[2]); }
    const tb = $("#t-epochs-table tbody"); tb.textContent = "";
    for (const ep of h.epochs || []) addEpoch(ep);
    redraw = true;
  });
  es.addEventListener("steps", (e) => {
    for (const p of JSON.parse(e.data).points) { xs.push(p[0]); losses.push(p[1]); accs.push(p[2]); }
    redraw = true;
  });
  es.addEventListener("epoch", (e) => addEpoch(JSON.parse(e.data)));
  es.addEventListener("filters", (e) => showFigure($("#t-filters"), JSON.parse(e.data).picture));
  es.addEventListener("confusion", (e) => showFigure($("#t-confusion"), JSON.parse(e.data).picture));
  es.addEventListener("samples", (e) => showSamples(JSON.parse(e.data).images));
  es.addEventListener("preds", (e) => showPreds(JSON.parse(e.data).preds));
  const tick = () => {
    if (redraw) {
      redraw = false;
      chart.setData([xs, losses, accs]);
      $("#t-points").textContent = xs.length;
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  const act = (id, path, body) => $(id).addEventListener("click", async () => {
    try {
      const res = await api(path, body ? body() : {});
      $("#t-message").textContent = res.saved ? "saved " + res.saved : "";
    } catch (err) { $("#t-message").textContent = err.message; }
  });
  act("#t-start", "/api/train/start", trainForm);
  act("#t-pause", "/api/train/pause");
  act("#t-resume", "/api/train/resume");
  act("#t-reset", "/api/train/reset");
  act("#t-save", "/api/train/save");
}

async function liveSettings() {
  const f = trainForm();
  try {
    await api("/api/train/settings", { lr: f.lr, momentum: f.momentum, batch: f.batch, weight_decay: f.weight_decay });
    $("#t-message").textContent = "";
  } catch (err) { $("#t-message").textContent = err.message; }
}

function showState(st) {
  let s = st.status + " · " + st.model + " · epoch " + st.epoch + (st.target ? " → " + st.target : "") + " · step " + st.step;
  if (st.batches) s += " · batch " + st.batch + "/" + st.batches;
  if (st.rate) s += " · " + st.rate.toFixed(0) + " steps/s";
  $("#t-status").textContent = s;
  $("#t-status").dataset.status = st.status;
  if (st.error) $("#t-message").textContent = st.error;
  else if (st.saved) $("#t-message").textContent = "last checkpoint: " + st.saved;
}

function addEpoch(ep) {
  const tr = document.createElement("tr");
  for (const v of [ep.epoch, ep.step, ep.train_loss.toFixed(4), (100 * ep.train_acc).toFixed(2) + "%",
    ep.val_loss.toFixed(4), (100 * ep.val_acc).toFixed(2) + "%", ep.seconds.toFixed(1)]) {
    const td = document.createElement("td"); td.textContent = v; tr.append(td);
  }
  $("#t-epochs-table tbody").append(tr);
}

function showSamples(images) {
  const box = $("#t-preds");
  box.textContent = "";
  for (const src of images) {
    const d = document.createElement("div");
    d.className = "pred";
    d.innerHTML = '<img alt="test digit"><div class="top1">?</div><div class="top3"></div>';
    d.querySelector("img").src = src;
    box.append(d);
  }
}

function showPreds(preds) {
  const cells = $("#t-preds").children;
  preds.forEach((p, i) => {
    const d = cells[i];
    if (!d) return;
    d.className = "pred " + (p.right ? "right" : "wrong");
    d.querySelector(".top1").textContent = p.top[0].class;
    d.querySelector(".top3").textContent = p.top.map((g) => g.class + " " + (100 * g.prob).toFixed(0) + "%").join(" ");
    d.title = "label " + p.label;
  });
}

// ---- Templates ----
let tmplChart = null, running = false;

function initTemplates() {
  tmplChart = new uPlot({
    width: 360, height: 200, scales: { x: { time: false } },
    series: [{ label: "images" }, { label: "test error", stroke: "#b2182b", width: 1.5 }],
    axes: [{ label: "images shown" }, { label: "test error" }],
  }, [[], []], $("#m-chart"));
  const step = (n) => async () => { try { showTmpl(await api("/api/templates/step?n=" + n, {})); } catch (err) { $("#m-status").textContent = err.message; } };
  $("#m-step").addEventListener("click", step(1));
  $("#m-step10").addEventListener("click", step(10));
  $("#m-reset").addEventListener("click", async () => { running = false; $("#m-run").textContent = "Run"; showTmpl(await api("/api/templates/reset", {})); });
  $("#m-run").addEventListener("click", async () => {
    running = !running;
    $("#m-run").textContent = running ? "Stop" : "Run";
    let n = 5;
    while (running) {
      try { showTmpl(await api("/api/templates/step?n=" + n, {})); } catch (err) { $("#m-status").textContent = err.message; running = false; }
      n = Math.min(500, Math.ceil(n * 1.3));
    }
    $("#m-run").textContent = "Run";
  });
  $("#m-status").textContent = "loading MNIST...";
  api("/api/templates/state").then(showTmpl).catch((err) => { $("#m-status").textContent = err.message; });
}

function showTmpl(st) {
  $("#m-status").textContent = st.shown + " images shown · pass " + st.pass + " · wrong guesses this pass " +
    (100 * st.mistakes).toFixed(1) + " % · test error " + (100 * st.test_error).toFixed(2) + " %";
  $("#m-status").dataset.shown = st.shown;
  showFigure($("#m-maps"), st.maps);
  if (st.last) {
    $("#m-last img").src = st.last.image;
    $("#m-last figcaption").textContent = "image " + st.last.index + ": a " + st.last.label + ", guessed " + st.last.guess +
      (st.last.right ? " (right: no change)" : " (wrong: +1 to " + st.last.label + ", -1 to " + st.last.guess + ")");
  }
  tmplChart.setData([st.history.map((p) => p[0]), st.history.map((p) => p[1])]);
}

// ---- XOR ----
const slides = {
  and: [-30, 20, 20], or: [-10, 20, 20], nor: [10, -20, -20], not: [10, -20],
  xnor: [-30, 20, 20, 10, -20, -20, -10, 20, 20],
};
const weightNames = {
  not: ["bias", "w x"],
  xnor: ["AND bias", "AND w1", "AND w2", "NOR bias", "NOR w1", "NOR w2", "OR bias", "OR w h1", "OR w h2"],
};

function initXor() {
  const net = slides[params.get("net")] ? params.get("net") : "and";
  $("#x-net").value = net;
  let w = (params.get("w") || "").split(",").filter((s) => s !== "").map(Number);
  if (w.length !== slides[net].length || w.some((v) => !isFinite(v))) w = slides[net];
  weightInputs(net, w);
  $("#x-net").addEventListener("change", () => { weightInputs($("#x-net").value, slides[$("#x-net").value]); gate(); });
  $("#x-slides").addEventListener("click", () => { weightInputs($("#x-net").value, slides[$("#x-net").value]); gate(); });
  gate();
  for (const k of ["hidden", "lr", "steps", "seed"]) {
    if (params.has("l" + k)) $("#l-" + k).value = params.get("l" + k);
    $("#l-" + k).addEventListener("change", () => setParam("l" + k, $("#l-" + k).value));
  }
  $("#l-learn").addEventListener("click", learn);
}

function weightInputs(net, w) {
  const box = $("#x-weights");
  box.textContent = "";
  const names = weightNames[net] || ["bias", "w1", "w2"];
  w.forEach((v, i) => {
    const l = document.createElement("label");
    l.textContent = names[i] + " ";
    const inp = document.createElement("input");
    inp.type = "number"; inp.step = "1"; inp.value = v; inp.className = "xw";
    inp.addEventListener("input", gate);
    l.append(inp);
    box.append(l);
  });
}

let gateSeq = 0;
async function gate() {
  const net = $("#x-net").value;
  const weights = [...document.querySelectorAll("#x-weights input")].map((i) => Number(i.value));
  if (weights.some((v) => !isFinite(v) || v === "")) return;
  setParam("tab", "xor"); setParam("net", net); setParam("w", weights.join(","));
  const seq = ++gateSeq;
  try {
    const res = await api("/api/xor/gate", { net, weights });
    if (seq !== gateSeq) return;
    $("#x-formula").textContent = res.formula;
    const thead = $("#x-truth thead"), tbody = $("#x-truth tbody");
    thead.innerHTML = res.table[0].in.length === 1 ? "<tr><th>x</th><th>output</th><th>target</th></tr>" :
      "<tr><th>x1</th><th>x2</th><th>output</th><th>target</th></tr>";
    tbody.textContent = "";
    for (const row of res.table) {
      const tr = document.createElement("tr");
      for (const v of row.in) { const td = document.createElement("td"); td.textContent = v; tr.append(td); }
      const out = document.createElement("td");
      out.textContent = row.out.toFixed(5); out.className = row.out >= 0.5 ? "on" : "off";
      const tg = document.createElement("td"); tg.textContent = row.target;
      tr.append(out, tg);
      tbody.append(tr);
    }
    $("#x-right").textContent = res.right ? "every row rounds to its target" : "some rows round to the wrong value";
    showFigure($("#x-regions"), res.regions);
  } catch (err) { $("#x-formula").textContent = err.message; }
}

let learnTimer = null;
async function learn() {
  clearInterval(learnTimer);
  $("#l-status").textContent = "learning...";
  try {
    const res = await api("/api/xor/learn", {
      hidden: +$("#l-hidden").value, lr: +$("#l-lr").value, steps: +$("#l-steps").value,
      seed: +$("#l-seed").value, tanh: $("#l-tanh").checked, frames: 40,
    });
    let i = 0;
    learnTimer = setInterval(() => {
      const f = res.frames[i];
      showFigure($("#l-regions"), f.regions);
      $("#l-status").textContent = "step " + f.step + " · loss " + f.loss.toFixed(4) + " · " + f.right + " of 4 right · outputs " +
        f.outputs.map((o) => o.toFixed(3)).join(", ");
      if (++i >= res.frames.length) clearInterval(learnTimer);
    }, 100);
  } catch (err) { $("#l-status").textContent = err.message; }
}

showTab(params.get("tab") || "draw");
