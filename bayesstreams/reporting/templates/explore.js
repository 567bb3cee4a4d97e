"use strict";
// The what-if page of bayesstreams: scores a profile of factor codes from the posterior draws embedded
// above, as bayesstreams.analysis.explore_data.explore_scores does in Python (a test holds the two equal).
// Every name from the data is inserted with textContent, never as markup.
(function () {
  const T0 = performance.now();
  const P = JSON.parse(document.getElementById("explore-data").textContent);
  const D = {};  // the draws, unpacked from little-endian float64 in base64 into nested arrays (draw first)
  for (const [name, packed] of Object.entries(P.draws)) {
    const bytes = Uint8Array.from(atob(packed.data), ch => ch.charCodeAt(0));
    const view = new DataView(bytes.buffer), flat = new Float64Array(bytes.length / 8), shape = packed.shape;
    for (let i = 0; i < flat.length; i++) flat[i] = view.getFloat64(8 * i, true);
    const nest = (offset, dim) => {
      if (dim === shape.length) return flat[offset];
      let size = 1;
      for (let j = dim + 1; j < shape.length; j++) size *= shape[j];
      const out = new Array(shape[dim]);
      for (let i = 0; i < shape[dim]; i++) out[i] = nest(offset + i * size, dim + 1);
      return out;
    };
    D[name] = nest(0, 0);
  }
  const N = P.n_draws, F = P.factors, K = F.length, CODES = [-1, 0, 1];
  const OPT = P.options, LATENT = OPT.respondents === "latent";
  const ZERO = OPT.not_discussed === "zero" && !LATENT, SALIENCE = OPT.not_discussed === "salience";
  const STREAMS = P.has_streams, V1 = ZERO && !OPT.stream_error;
  const state = { codes: new Array(K).fill(null), counts: null, group: -1, start: "", lang: P.lang };

  // ------------------------------------------------------------------ arithmetic (float64, NumPy's order)

  function logistic(v) {  // exp(-logaddexp(0, -v)), as bayesstreams.model.likelihood.logistic
    const m = -v;
    const lae = m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m));
    return Math.exp(-lae);
  }

  function expit(v) {  // 1 / (1 + exp(-v)), as scipy.special.expit in model/evidence._expected_q
    if (v >= 0) return 1 / (1 + Math.exp(-v));
    const e = Math.exp(v);
    return e / (1 + e);
  }

  function mean(values) {
    let total = 0;
    for (let i = 0; i < values.length; i++) total += values[i];
    return total / values.length;
  }

  function quantile(sorted, p) {  // NumPy's default (linear) quantile, with its lerp
    const h = (sorted.length - 1) * p, lo = Math.floor(h), hi = Math.min(lo + 1, sorted.length - 1), t = h - lo;
    const a = sorted[lo], b = sorted[hi], d = b - a;
    return t >= 0.5 ? b - d * (1 - t) : a + d * t;
  }

  function summary(values) {
    const sorted = Float64Array.from(values).sort();
    return { mean: mean(values), q05: quantile(sorted, 0.05), q25: quantile(sorted, 0.25),
             q75: quantile(sorted, 0.75), q95: quantile(sorted, 0.95) };
  }

  function onehot(code) { const w = [0, 0, 0]; w[code + 1] = 1; return w; }

  // the weight vector over the latent code (-1, 0, +1) of one cell in one draw (model/evidence.cell_weights)
  function cellWeight(d, k, code, counts) {
    if (ZERO) return code === null ? [0, 1, 0] : onehot(code);
    const w = D.code_prob[d][k].slice();
    if (SALIENCE) {
      const s1 = D.salience_nonzero[d], s0 = D.salience_zero[d], sigma = [s1, s0, s1];
      for (let c = 0; c < 3; c++) w[c] *= code === null ? 1 - sigma[c] : sigma[c];
    }
    if (LATENT) {
      const conf = D.confusion[d];
      for (let t = 0; t < 3; t++) {
        let logR = 0;
        for (let r = 0; r < 3; r++) logR += counts[r] * Math.log(conf[t][r]);
        w[t] *= Math.exp(logR);
      }
    } else if (code !== null) {
      for (let c = 0; c < 3; c++) w[c] *= c === code + 1 ? 1 : 0;
    }
    return w;
  }

  function cellCounts(profile, k) {
    if (profile.counts && profile.counts[k]) return profile.counts[k];
    return profile.codes[k] === null ? [0, 0, 0] : onehot(profile.codes[k]);
  }

  const members = [];  // factor indices of each (phase, stream)
  for (let p = 0; p < 2; p++) { members.push([]); for (let s = 0; s < 3; s++) members[p].push([]); }
  F.forEach((f, k) => members[f.phase][f.stream].push(k));
  const widest = Math.max(1, ...members.map(row => Math.max(...row.map(m => m.length))));
  const MASS = new Float64Array(Math.pow(3, widest)), ETA = new Float64Array(Math.pow(3, widest));

  function offset(d, p, s, group) {
    if (group < 0 || !D.gamma) return 0;
    return STREAMS ? D.gamma[d][p][s][group] : D.gamma[d][p][group];
  }

  // q of stream (p, s) in draw d: the expected logistic over the latent codes of its uncertain cells
  // (model/evidence.stream_q); ``doK`` = [k, value] puts factor k at a point mass (the intervention)
  function streamQ(d, p, s, profile, doK) {
    const beta = D.beta[d];
    let eta = D.alpha[d][p][s] + offset(d, p, s, profile.group);
    const freeW = [], freeB = [];
    for (const k of members[p][s]) {
      const code = doK && doK[0] === k ? doK[1] : profile.codes[k];
      const certain = doK && doK[0] === k ? !LATENT : (ZERO || (code !== null && !LATENT));
      if (certain) { eta += beta[k] * (code === null ? 0 : code); continue; }
      freeW.push(doK && doK[0] === k ? onehot(code) : profile.weights[d][k]);
      freeB.push(beta[k]);
    }
    if (!freeW.length) return logistic(eta);
    // the joint codes in itertools.product order (first factor slowest), expanded in place from the back
    let n = 1;
    MASS[0] = 1;
    ETA[0] = eta;
    for (let i = 0; i < freeW.length; i++) {
      const w = freeW[i], b = freeB[i];
      for (let j = n - 1; j >= 0; j--) {
        const m0 = MASS[j], e0 = ETA[j];
        for (let c = 2; c >= 0; c--) { MASS[3 * j + c] = m0 * w[c]; ETA[3 * j + c] = e0 + b * CODES[c]; }
      }
      n *= 3;
    }
    let num = 0, total = 0;
    for (let j = 0; j < n; j++) {
      const m = MASS[j];
      if (m !== 0) { num += m * expit(ETA[j]); total += m; }
    }
    return num / total;
  }

  function pibar(d, p, q) {
    const lam = D.lambda[d][p], kap = D.kappa[d][p];
    return lam + (1 - lam) * (1 - kap) * (q[0] * q[1] * q[2]);
  }

  function windowsOf(p1, pibar2, d) {  // model/streams._windows and Windows.p2
    const open = pibar2, closed = pibar2 * D.rho[d];
    return [p1, open * p1 + closed * (1 - p1)];
  }

  function additiveEta(d, profile) {
    const eta = [D.a[d][0] + offset(d, 0, 0, profile.group), D.a[d][1] + offset(d, 1, 0, profile.group)];
    const beta = D.beta[d];
    for (let k = 0; k < K; k++) if (profile.codes[k] !== null) eta[F[k].phase] += beta[k] * profile.codes[k];
    return eta;
  }

  function additiveWindows(d, eta) {
    const p1 = logistic(eta[0]), open = logistic(eta[1] + D.delta[d]), closed = logistic(eta[1]);
    return [p1, open * p1 + closed * (1 - p1)];
  }

  function tanhLogistic(v) { return 0.5 + 0.5 * Math.tanh(0.5 * v); }  // as analysis/advice._logistic

  // the weighted summary of analysis/advice.weighted_summary with equal weights (nothing known: every draw
  // weighs the same): the quantiles interpolate between the midpoints of the sorted draws' weights
  function weightedSummary(values) {
    const sorted = Float64Array.from(values).sort(), w = 1 / values.length, cumulative = new Float64Array(values.length);
    let run = 0, total = 0;
    for (let i = 0; i < sorted.length; i++) { run += w; cumulative[i] = run - 0.5 * w; }
    for (let i = 0; i < values.length; i++) total += values[i] * w;
    const interp = level => {
      if (level <= cumulative[0]) return sorted[0];
      if (level >= cumulative[cumulative.length - 1]) return sorted[sorted.length - 1];
      let j = 0;
      while (cumulative[j + 1] <= level) j++;
      const slope = (sorted[j + 1] - sorted[j]) / (cumulative[j + 1] - cumulative[j]);
      return slope * (level - cumulative[j]) + sorted[j];
    };
    return { mean: total, q05: interp(0.05), q25: interp(0.25), q75: interp(0.75), q95: interp(0.95) };
  }

  // the stream log-odds the case advice shifts (Baseline.eta): the linear predictor in the v1 model,
  // logit(q) under an evidence mode
  function adviceEta(d, s, profile, q) {
    if (!V1) return Math.log(q) - Math.log1p(-q);
    let eta = D.alpha[d][0][s] + offset(d, 0, s, profile.group);
    for (const k of members[0][s]) if (profile.codes[k] !== null) eta += D.beta[d][k] * profile.codes[k];
    return eta;
  }

  // the case advice `score` gives a profile with nothing known: toward W1, phase-1 factors with data
  // support below +1; a not-discussed one is "find out first" (analysis/explore_data._next_window)
  function nextWindow(profile, qs) {
    const etas = qs.map((q, d) => [0, 1, 2].map(s => adviceEta(d, s, profile, q[0][s])));
    const couple = d => (1 - D.lambda[d][0]) * (1 - D.kappa[d][0]);
    const now = new Float64Array(N);
    for (let d = 0; d < N; d++) {
      const a = etas[d].map(tanhLogistic);
      now[d] = D.lambda[d][0] + couple(d) * (a[0] * a[1] * a[2]);
    }
    const levers = [], findOut = [];
    for (let k = 0; k < K; k++) {
      const x = profile.codes[k] === null ? 0 : profile.codes[k];
      if (F[k].phase !== 0 || F[k].no_data || F[k].context || x === 1) continue;
      const s = F[k].stream, up = new Float64Array(N);
      let over = 0;
      for (let d = 0; d < N; d++) {
        // the v1 model shifts the stream's log-odds; an evidence mode sums the stream out again with
        // factor k at +1 (analysis/advice._Case.q_under)
        const moved = V1 ? tanhLogistic(etas[d][s] + (1 - x) * D.beta[d][k]) : streamQ(d, 0, s, profile, [k, 1]);
        const a = etas[d].map((e, j) => (j === s ? moved : tanhLogistic(e)));
        up[d] = D.lambda[d][0] + couple(d) * (a[0] * a[1] * a[2]) - now[d];
        if (up[d] > P.min_gain) over += 1;
      }
      const entry = { factor: F[k].id, index: k, phase: 1, stream: P.streams[s], code: profile.codes[k],
                      gain: weightedSummary(up), p_gain_gt_threshold: over / N, threshold: P.min_gain };
      if (profile.codes[k] === null) { entry.gain_if_plus1 = entry.gain; findOut.push(entry); } else levers.push(entry);
    }
    levers.sort((a, b) => b.gain.mean - a.gain.mean);
    findOut.sort((a, b) => b.gain.mean - a.gain.mean);
    return { target: "W1", p_target: weightedSummary(now), levers: levers, find_out_first: findOut };
  }

  // the score of one profile: {p_w1, p_w2, weakest, levers (all, ranked)} (analysis/explore_data.explore_scores)
  function score(profile) {
    profile.weights = [];
    if (STREAMS && !ZERO) {
      for (let d = 0; d < N; d++) {
        const row = [];
        for (let k = 0; k < K; k++) row.push(cellWeight(d, k, profile.codes[k], cellCounts(profile, k)));
        profile.weights.push(row);
      }
    }
    const p1 = new Float64Array(N), p2 = new Float64Array(N), qs = [], etas = [];
    for (let d = 0; d < N; d++) {
      if (STREAMS) {
        const q = [0, 1].map(p => [0, 1, 2].map(s => streamQ(d, p, s, profile, null)));
        qs.push(q);
        [p1[d], p2[d]] = windowsOf(pibar(d, 0, q[0]), pibar(d, 1, q[1]), d);
      } else {
        const eta = additiveEta(d, profile);
        etas.push(eta);
        [p1[d], p2[d]] = additiveWindows(d, eta);
      }
    }
    const levers = [];
    for (let k = 0; k < K; k++) {
      const x = profile.codes[k] === null ? 0 : profile.codes[k];
      if (F[k].no_data || F[k].context || x === 1) continue;
      const p = F[k].phase, s = F[k].stream, g1 = new Float64Array(N), g2 = new Float64Array(N);
      for (let d = 0; d < N; d++) {
        let up;
        if (STREAMS) {
          const q = qs[d], qNew = streamQ(d, p, s, profile, [k, 1]);
          const lam = D.lambda[d][p], kap = D.kappa[d][p];
          const moved = lam + (1 - lam) * (1 - kap) * (q[p][s === 0 ? 1 : 0] * q[p][s === 2 ? 1 : 2]) * qNew;
          up = p === 0 ? windowsOf(moved, pibar(d, 1, q[1]), d) : windowsOf(pibar(d, 0, q[0]), moved, d);
        } else {
          const eta = etas[d].slice();
          eta[p] += D.beta[d][k] * (1 - x);
          up = additiveWindows(d, eta);
        }
        g1[d] = up[0] - p1[d];
        g2[d] = up[1] - p2[d];
      }
      let over = 0;
      for (let d = 0; d < N; d++) if (g2[d] > P.min_gain) over += 1;
      levers.push({ factor: F[k].id, index: k, phase: p + 1, stream: P.streams[s],
                    code: profile.codes[k], gain_w2: summary(g2), p_gain_gt_threshold: over / N,
                    threshold: P.min_gain, gain_w1_mean: p === 0 ? mean(g1) : 0 });
    }
    levers.sort((a, b) => b.gain_w2.mean - a.gain_w2.mean);  // stable: ties keep the codebook order
    let weakest = null;
    if (STREAMS) {
      weakest = [0, 1].map(p => {
        const qMean = [0, 1, 2].map(s => mean(qs.map(q => q[p][s])));
        let lowest = 0;
        for (let s = 1; s < 3; s++) if (qMean[s] < qMean[lowest]) lowest = s;
        let share = 0;
        for (const q of qs) {
          let arg = 0;
          for (let s = 1; s < 3; s++) if (q[p][s] < q[p][arg]) arg = s;
          if (arg === lowest) share += 1;
        }
        return { phase: p + 1, stream: P.streams[lowest], q_mean: qMean[lowest], p_lowest: share / N };
      });
    }
    return { p_w1: summary(p1), p_w2: summary(p2), weakest: weakest, levers: levers,
             next_window: STREAMS ? nextWindow(profile, qs) : null };
  }

  // ------------------------------------------------------------------ words and numbers

  function t(key) { return P.text[state.lang][key]; }
  function fill(text, values) { return text.replace(/\{(\w+)\}/g, (m, name) => name in values ? values[name] : m); }

  function num(x, digits, sign) {
    let text = Math.abs(x).toFixed(digits);
    if (state.lang === "nl") text = text.replace(".", ",");
    const zero = Number(Math.abs(x).toFixed(digits)) === 0;
    if (x < 0 && !zero) return "\u2212" + text;
    return (sign && x > 0 && !zero ? "+" : "") + text;
  }
  function pct(p) { return num(100 * p, 0, false) + "%"; }
  function pts(d) { return num(100 * d, 1, true); }
  function span(a, b, show) { return show(a) + " " + t("explore_to") + " " + show(b); }
  function label(f) { return f.label[state.lang] || f.id; }
  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }

  // ------------------------------------------------------------------ the page

  const selects = [];
  let last = null;

  function profileNow() { return { codes: state.codes.slice(), counts: state.counts, group: state.group }; }

  function showResults() {
    last = score(profileNow());
    const chances = document.getElementById("chances");
    chances.replaceChildren();
    const flags = priorFlags();
    for (const [key, name, s] of [["score_p_w1", "p_w1", last.p_w1], ["score_p_w2", "p_w2", last.p_w2]]) {
      chances.append(el("dt", t(key)));
      const dd = el("dd");
      dd.append(el("span", pct(s.mean), "big"), document.createTextNode(
        " (" + fill(t("explore_interval"), { interval: span(s.q05, s.q95, pct) }) + ")"));
      if (flags && flags[name]) dd.append(" ", el("span", "[" + t("prior_driven") + "]", "flag"));
      chances.append(dd);
    }
    const prior = document.getElementById("prior-status");
    prior.textContent = flags ? (flags.p_w1 || flags.p_w2 ? fill(t("score_note_prior"), { checks: checkNames() }) : "")
                              : t("explore_prior_edited");
    const weakest = document.getElementById("weakest");
    weakest.replaceChildren();
    document.getElementById("weakest-title").hidden = !last.weakest;
    for (const w of last.weakest || []) {
      weakest.append(el("li", fill(t("explore_weakest_item"), {
        phase: t("phase_short_" + w.phase), stream: t("stream_" + w.stream), chance: pct(w.q_mean),
        share: pct(w.p_lowest) })));
    }
    const levers = document.getElementById("levers");
    levers.replaceChildren();
    const top = last.levers.slice(0, P.top_levers);
    if (!top.length) levers.append(el("li", t("no_levers")));
    for (const lever of top) {
      levers.append(el("li", fill(t("explore_lever_item"), {
        label: label(F[lever.index]), phase: t("phase_short_" + lever.phase), stream: t("stream_" + lever.stream),
        code: lever.code === null ? t("score_not_discussed") : codeText(lever.code),
        gain: pts(lever.gain_w2.mean), interval: span(lever.gain_w2.q05, lever.gain_w2.q95, pts),
        threshold: num(100 * lever.threshold, 0, false), chance: pct(lever.p_gain_gt_threshold) })));
    }
    showNext(last.next_window);
    selects.forEach((select, k) => select.parentNode.classList.toggle("changed", state.codes[k] !== initial[k]));
    document.getElementById("csv").value = profileCsv();
  }

  // the prior-driven flags of the profile shown, measured in Python on all draws: only while it is a
  // reference case or the empty profile as it started (null: an edited profile, not measured here)
  function priorFlags() {
    if (!P.prior_checks.length) return null;
    const edited = state.codes.some((code, k) => code !== initial[k]) || state.group !== initialGroup || state.recounted;
    if (edited) return null;
    return state.start === "" ? P.empty_prior_driven : P.cases[Number(state.start)].prior_driven;
  }

  function checkNames() { return P.prior_checks.map(name => t("score_check_" + name)).join(", "); }

  function showNext(next) {
    document.getElementById("next-box").hidden = !next;
    if (!next) return;
    const list = document.getElementById("next-levers"), found = document.getElementById("find-out");
    list.replaceChildren();
    found.replaceChildren();
    const values = lever => ({ label: label(F[lever.index]), stream: t("stream_" + lever.stream),
                               code: lever.code === null ? t("score_not_discussed") : codeText(lever.code),
                               gain: pts(lever.gain.mean), interval: span(lever.gain.q05, lever.gain.q95, pts),
                               threshold: num(100 * lever.threshold, 0, false), chance: pct(lever.p_gain_gt_threshold) });
    const top = next.levers.slice(0, P.top_levers);
    if (!top.length) list.append(el("li", t("explore_next_none")));
    for (const lever of top) list.append(el("li", fill(t("explore_next_item"), values(lever))));
    document.getElementById("find-out-title").hidden = !next.find_out_first.length;
    for (const lever of next.find_out_first.slice(0, P.top_levers)) {
      found.append(el("li", fill(t("explore_find_out_item"), values(lever))));
    }
  }

  function codeText(code) { return code > 0 ? "+1" : code < 0 ? "\u22121" : "0"; }

  let initial = new Array(K).fill(null), initialGroup = -1;

  function start(value) {
    state.start = value === "" ? "" : String(value);
    const i = state.start === "" ? -1 : Number(state.start);
    document.getElementById("start").value = state.start;
    const c = i >= 0 ? P.cases[i] : null;
    state.codes = c ? c.codes.slice() : new Array(K).fill(null);
    state.counts = c && c.counts ? c.counts.map(r => r.slice()) : null;
    state.group = c ? c.group : -1;
    initial = state.codes.slice();
    initialGroup = state.group;
    state.recounted = false;
    selects.forEach((select, k) => { select.value = state.codes[k] === null ? "nd" : String(state.codes[k]); });
    document.getElementById("group").value = String(state.group);
    showResults();
  }

  function setCode(k, value) {
    const code = value === "nd" ? null : Number(value);
    if (state.counts) {  // an edited cell is one respondent's code, as a profile file is
      state.counts[k] = null;
      state.recounted = true;
    }
    state.codes[k] = code;
    showResults();
  }

  // a CSV field; ``guard`` keeps a spreadsheet from reading formula-like text (a name) as a formula,
  // while a group label must stay exactly the run's
  function csvField(text, guard) {
    let value = String(text);
    if (guard && /^[=+\-@\t\r]/.test(value)) value = "'" + value;
    return /[",\r\n]/.test(value) ? '"' + value.replace(/"/g, '""') + '"' : value;
  }

  // the profile in the wide layout `bayesstreams score` reads (docs/DATA.md): empty = not discussed
  function profileCsv() {
    const header = ["case_id", "name"], row = ["what_if"];
    const i = state.start === "" ? -1 : Number(state.start);
    row.push(csvField(i >= 0 ? P.cases[i].name : "", true));
    if (P.groups.length) {
      header.push("group");
      row.push(csvField(state.group >= 0 ? P.groups[state.group] : "", false));
    }
    F.forEach((f, k) => { header.push(f.id); row.push(state.codes[k] === null ? "" : String(state.codes[k])); });
    return header.join(",") + "\n" + row.join(",") + "\n";
  }

  function copyCsv() {
    const text = profileCsv(), status = document.getElementById("copy-status");
    const done = () => { status.textContent = t("explore_copied"); };
    const fallback = () => {
      const area = document.getElementById("csv");
      area.value = text;
      area.select();
      let ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      status.textContent = ok ? t("explore_copied") : t("explore_copy_failed");
    };
    if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, fallback);
    else fallback();
  }

  function build() {
    const startSelect = document.getElementById("start");
    startSelect.append(el("option"));
    startSelect.options[0].value = "";
    P.cases.forEach((c, i) => {
      const option = el("option", c.name === c.id ? c.id : c.name + " (" + c.id + ")");
      option.value = String(i);
      startSelect.append(option);
    });
    startSelect.addEventListener("change", () => start(startSelect.value));
    const groupSelect = document.getElementById("group");
    groupSelect.append(el("option"));
    groupSelect.options[0].value = "-1";
    P.groups.forEach((g, j) => { const option = el("option", g); option.value = String(j); groupSelect.append(option); });
    document.getElementById("group-box").hidden = !P.groups.length;
    groupSelect.addEventListener("change", () => { state.group = Number(groupSelect.value); showResults(); });
    const box = document.getElementById("factor-groups");
    for (let p = 0; p < 2; p++) {
      for (let s = 0; s < 3; s++) {
        if (!members[p][s].length) continue;
        const fieldset = el("fieldset");
        fieldset.append(el("legend"));
        fieldset.dataset.key = "phase_stream_" + (p + 1) + "_" + P.streams[s];
        for (const k of members[p][s]) {
          const row = el("div", undefined, "factor");
          const name = el("label");
          name.htmlFor = "code-" + k;
          const select = el("select");
          select.id = "code-" + k;
          for (const value of ["nd", "-1", "0", "1"]) { const option = el("option"); option.value = value; select.append(option); }
          select.addEventListener("change", () => setCode(k, select.value));
          row.append(name, select);
          fieldset.append(row);
          selects[k] = select;
        }
        box.append(fieldset);
      }
    }
    document.getElementById("reset").addEventListener("click", () => start(state.start));
    document.getElementById("copy").addEventListener("click", copyCsv);
    document.getElementById("lang-toggle").addEventListener("click", () => {
      state.lang = state.lang === "nl" ? "en" : "nl";
      words();
      showResults();
    });
  }

  // every fixed text of the page in the current language
  function words() {
    document.documentElement.lang = state.lang;
    document.title = t("explore_title");
    const set = (id, text) => { document.getElementById(id).textContent = text; };
    set("title", t("explore_title"));
    set("lang-toggle", t("explore_other_language"));
    set("controls-title", t("explore_controls"));
    set("start-label", t("explore_start"));
    set("group-label", t("label_group"));
    set("reset", t("explore_reset"));
    set("copy", t("explore_copy"));
    set("results-title", t("explore_results"));
    set("weakest-title", t("explore_weakest"));
    set("levers-title", t("explore_levers"));
    set("next-title", t("explore_next"));
    set("next-definition", t("explore_next_definition"));
    set("find-out-title", t("explore_find_out"));
    set("factors-title", t("explore_factors"));
    set("factors-help", t("explore_factors_help"));
    set("csv-label", t("explore_csv"));
    document.getElementById("lang-toggle").lang = state.lang === "nl" ? "en" : "nl";
    document.getElementById("intro").textContent = fill(t("explore_intro"), { draws: String(N), total: String(P.n_samples),
                                                                            dataset: P.dataset });
    document.getElementById("levers-definition").textContent = fill(t("explore_levers_definition"),
                                                                    { threshold: num(100 * P.min_gain, 0, false) });
    document.getElementById("notes").textContent = [t("explore_nd_" + OPT.not_discussed), t("score_note_causal"),
                                                     t("explore_prior_note")].join(" ");
    document.getElementById("start").options[0].textContent = t("explore_empty");
    document.getElementById("group").options[0].textContent = t("explore_no_group");
    document.getElementById("copy-status").textContent = "";
    document.querySelectorAll("fieldset").forEach(fs => { fs.querySelector("legend").textContent = t(fs.dataset.key); });
    const values = { nd: t("score_not_discussed"), "-1": t("explore_code_minus"), "0": t("explore_code_zero"),
                     "1": t("explore_code_plus") };
    selects.forEach((select, k) => {
      const name = select.parentNode.querySelector("label");
      name.textContent = label(F[k]);
      if (F[k].no_data) name.append(" ", el("span", "(" + t("support_no_data") + ")", "nodata"));
      if (F[k].context) name.append(" ", el("span", "(" + t("context_mark") + ")", "nodata"));
      for (const option of select.options) option.textContent = values[option.value];
    });
  }

  build();
  words();
  const tDom = performance.now();
  start("");
  const tNumbers = performance.now();

  // a hook for the tests (and the curious): raw numbers of any profile, and how long the first numbers took
  window.bayesstreamsExplore = {
    score: (codes, group, counts) => score({ codes: codes, group: group === undefined ? -1 : group, counts: counts || null }),
    current: () => last,
    start: start,
    setCode: (k, value) => { selects[k].value = value === null ? "nd" : String(value); setCode(k, selects[k].value); },
    csv: profileCsv,
    timing: { script_start_ms: T0, first_numbers_ms: tNumbers, compute_ms: tNumbers - tDom }
  };
})();
