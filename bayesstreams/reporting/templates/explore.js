"use strict";
// The what-if page of bayesstreams: the case advice (analysis/advice.advise) of a reference case or a new
// municipality, before and after the changes made here, from the posterior draws embedded above, as
// bayesstreams.analysis.explore_data.what_if does in Python (a test holds the two equal).
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
  const STUDY_PHASES = P.study_phases || [1, 2];
  const MIN_STEP = 0.005, MIN_FIND_OUT = 0.005;  // as the brief: a step that moves the chance less is no step

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
  // (model/evidence.stream_q); ``doMap`` (factor -> value) puts those factors at a point mass (interventions)
  function streamQ(d, p, s, profile, doMap) {
    const beta = D.beta[d];
    let eta = D.alpha[d][p][s] + offset(d, p, s, profile.group);
    const freeW = [], freeB = [];
    for (const k of members[p][s]) {
      const done = doMap ? doMap.has(k) : false;
      const code = done ? doMap.get(k) : profile.codes[k];
      const certain = done ? !LATENT : (ZERO || (code !== null && !LATENT));
      if (certain) { eta += beta[k] * (code === null ? 0 : code); continue; }
      freeW.push(done ? onehot(code) : profile.weights[d][k]);
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


  // ------------------------------------------------------------------ the case advice (analysis/advice)

  function weigh(profile) {  // the evidence weights of every cell in every draw (an evidence mode only)
    profile.weights = [];
    if (!STREAMS || ZERO) return;
    for (let d = 0; d < N; d++) {
      const row = [];
      for (let k = 0; k < K; k++) row.push(cellWeight(d, k, profile.codes[k], cellCounts(profile, k)));
      profile.weights.push(row);
    }
  }

  // the stream log-odds of the v1 model (Baseline.eta): alpha + group offset + codes (not discussed = 0)
  function linear(d, p, s, profile) {
    let eta = D.alpha[d][p][s] + offset(d, p, s, profile.group);
    for (const k of members[p][s]) if (profile.codes[k] !== null) eta += D.beta[d][k] * profile.codes[k];
    return eta;
  }

  // q per (phase, stream) of the start in draw d, and under the interventions ``doMap`` (advice._Case.q_under):
  // the v1 model shifts the stream's log-odds; an evidence mode sums a touched stream out again
  function startQ(d, start) {
    if (V1) return [0, 1].map(p => [0, 1, 2].map(s => tanhLogistic(linear(d, p, s, start))));
    return [0, 1].map(p => [0, 1, 2].map(s => streamQ(d, p, s, start, null)));
  }

  function movedQ(d, start, q0, doMap) {
    return [0, 1].map(p => [0, 1, 2].map(s => {
      let touched = false, shift = 0;
      for (const k of members[p][s]) {
        if (!doMap.has(k)) continue;
        touched = true;
        shift += D.beta[d][k] * (doMap.get(k) - (start.codes[k] === null ? 0 : start.codes[k]));
      }
      if (!touched) return q0[p][s];
      return V1 ? tanhLogistic(linear(d, p, s, start) + shift) : streamQ(d, p, s, start, doMap);
    }));
  }

  // joint (ready, ready') of one phase given its coded streams (case_evidence._phase_joint)
  function phaseJoint(q, qn, s, lam, kap) {
    let mass = 1, kNow = 1, kNew = 1, kBoth = 1;
    for (let j = 0; j < 3; j++) {
      const coded = s[j] !== null, on = s[j] === 1, allow = !coded || on;
      const low = Math.min(q[j], qn[j]), high = Math.max(q[j], qn[j]);
      mass *= coded ? (on ? q[j] : 1 - q[j]) : 1;
      kNow *= allow ? q[j] : 0;
      kNew *= coded ? (on ? low : high - q[j]) : qn[j];
      kBoth *= allow ? low : 0;
    }
    const coupled = (1 - lam) * (1 - kap);
    return [[1, 1, lam * mass + coupled * kBoth], [1, 0, coupled * (kNow - kBoth)],
            [0, 1, coupled * (kNew - kBoth)], [0, 0, (1 - lam) * kap * mass + coupled * (mass - kNow - kNew + kBoth)]];
  }

  // [P(target' | evidence), P(target | evidence)] in draw d (case_evidence.counterfactual)
  function counterfactual(d, q, qn, ev, target) {
    const j1 = phaseJoint(q[0], qn[0], ev.s[0], D.lambda[d][0], D.kappa[d][0]);
    const j2 = phaseJoint(q[1], qn[1], ev.s[1], D.lambda[d][1], D.kappa[d][1]);
    const rho = D.rho[d];
    let mass = 0, cf = 0, fact = 0;
    for (const [w1, w1n, a] of j1) {
      for (const [r2, r2n, b] of j2) {
        for (const gate of [0, 1]) {
          const now = [w1, r2 && (w1 || gate) ? 1 : 0], neu = [w1n, r2n && (w1n || gate) ? 1 : 0];
          if ((ev.w[0] !== null && now[0] !== ev.w[0]) || (ev.w[1] !== null && now[1] !== ev.w[1])) continue;
          const weight = a * b * (gate ? rho : 1 - rho);
          mass += weight;
          cf += weight * neu[target];
          fact += weight * now[target];
        }
      }
    }
    return [cf / mass, fact / mass];
  }

  const NOTHING = { w: [null, null], s: [[null, null, null], [null, null, null]] };

  // the page's numbers: a start (a reference case, or null: a new one in ``group``) after ``codes``
  // (analysis/explore_data.what_if): every changed cell an intervention on the start, given what is known
  function whatIf(startIndex, codes, group) {
    const c = startIndex === null ? null : P.cases[startIndex];
    const start = { codes: c ? c.codes.slice() : new Array(K).fill(null), counts: c && c.counts ? c.counts : null,
                    group: c ? c.group : group };
    weigh(start);
    const ev = c ? { w: c.w, s: c.s } : NOTHING;
    const changed = new Map();
    codes.forEach((code, k) => {
      if (code === null) return;
      if (start.codes[k] === null || code !== start.codes[k]) changed.set(k, code);
    });
    const q0 = [], after = [];
    for (let d = 0; d < N; d++) {
      q0.push(startQ(d, start));
      after.push(changed.size ? movedQ(d, start, q0[d], changed) : q0[d]);
    }
    const chances = (target, moved) => {
      const out = new Float64Array(N);
      for (let d = 0; d < N; d++) out[d] = counterfactual(d, q0[d], moved[d], ev, target)[0];
      return out;
    };
    const windows = [], afterDraws = {};
    for (let w = 0; w < 2; w++) {
      if (!STUDY_PHASES.includes(w + 1)) continue;
      const known = ev.w[w] === null ? null : (ev.w[w] === 1 ? "open" : "closed");
      const entry = { window: "W" + (w + 1), phase: w + 1, known: known, before: null, after: null };
      if (known === null) {
        const before = new Float64Array(N);
        for (let d = 0; d < N; d++) before[d] = counterfactual(d, q0[d], q0[d], ev, w)[1];
        entry.before = weightedSummary(before);
      }
      if (known === null || changed.size) {
        afterDraws[w] = chances(w, after);
        entry.after = weightedSummary(afterDraws[w]);
      }
      windows.push(entry);
    }
    let target = ev.w[0] !== 1 ? 0 : ev.w[1] !== 1 ? 1 : null;
    if (target !== null && !STUDY_PHASES.includes(target + 1)) target = null;
    const result = { windows: windows, target: target === null ? null : "W" + (target + 1), now: null, levers: [],
                     find_out_first: [], changed: [...changed.keys()].sort((a, b) => a - b) };
    if (target === null) return result;
    const now = target in afterDraws ? afterDraws[target] : chances(target, after);
    result.now = weightedSummary(now);
    for (let k = 0; k < K; k++) {
      const code = codes[k], x = code === null ? 0 : code;
      if (F[k].phase !== target || x === 1 || F[k].no_data || F[k].context) continue;
      const step = new Map(changed);
      step.set(k, 1);
      const moved = [];
      for (let d = 0; d < N; d++) moved.push(movedQ(d, start, q0[d], step));
      const withStep = chances(target, moved), gain = new Float64Array(N);
      for (let d = 0; d < N; d++) gain[d] = withStep[d] - now[d];
      const entry = { factor: F[k].id, index: k, phase: target + 1, stream: P.streams[F[k].stream], code: code,
                      now: result.now, with_step: weightedSummary(withStep), gain: weightedSummary(gain) };
      (code === null ? result.find_out_first : result.levers).push(entry);
    }
    for (const key of ["levers", "find_out_first"]) result[key].sort((a, b) => b.gain.mean - a.gain.mean);
    return result;
  }

  // the additive kind has no case advice: its codes-only chances and levers (analysis/explore_data.codes_scores)
  function codesScore(profile) {
    const p1 = new Float64Array(N), p2 = new Float64Array(N), etas = [];
    for (let d = 0; d < N; d++) {
      const eta = additiveEta(d, profile);
      etas.push(eta);
      [p1[d], p2[d]] = additiveWindows(d, eta);
    }
    const levers = [];
    for (let k = 0; k < K; k++) {
      const x = profile.codes[k] === null ? 0 : profile.codes[k];
      if (F[k].no_data || F[k].context || x === 1) continue;
      const p = F[k].phase, g1 = new Float64Array(N), g2 = new Float64Array(N);
      for (let d = 0; d < N; d++) {
        const eta = etas[d].slice();
        eta[p] += D.beta[d][k] * (1 - x);
        const up = additiveWindows(d, eta);
        g1[d] = up[0] - p1[d];
        g2[d] = up[1] - p2[d];
      }
      let over = 0;
      for (let d = 0; d < N; d++) if (g2[d] > P.min_gain) over += 1;
      levers.push({ factor: F[k].id, index: k, phase: p + 1, stream: P.streams[F[k].stream],
                    code: profile.codes[k], gain_w2: summary(g2), p_gain_gt_threshold: over / N,
                    threshold: P.min_gain, gain_w1_mean: p === 0 ? mean(g1) : 0 });
    }
    levers.sort((a, b) => b.gain_w2.mean - a.gain_w2.mean);  // stable: ties keep the codebook order
    return { p_w1: summary(p1), p_w2: summary(p2), levers: levers };
  }

  // what the page shows, in one shape for both kinds: the additive kind's windows and steps from the codes
  function compute(startIndex, codes, group) {
    if (STREAMS) return whatIf(startIndex, codes, group);
    const c = startIndex === null ? null : P.cases[startIndex];
    const first = codesScore({ codes: c ? c.codes : new Array(K).fill(null), group: c ? c.group : group });
    const now = codesScore({ codes: codes, group: c ? c.group : group });
    const windows = [first.p_w1, first.p_w2].map((s, w) => ({ window: "W" + (w + 1), phase: w + 1, known: null,
                                                              before: s, after: [now.p_w1, now.p_w2][w] }));
    const levers = now.levers.map(l => ({ factor: l.factor, index: l.index, phase: l.phase, code: l.code,
                                          now: now.p_w2, with_step: { mean: now.p_w2.mean + l.gain_w2.mean },
                                          gain: l.gain_w2 }));
    return { windows: windows, target: "W2", now: now.p_w2, levers: levers, find_out_first: [], additive: now };
  }

  // ------------------------------------------------------------------ words and numbers

  function t(key) { return P.text[state.lang][key]; }
  function fill(text, values) { return text.replace(/\{(\w+)\}/g, (m, name) => name in values ? values[name] : m); }
  function sentence(text) { text = text.trim(); return text.charAt(0).toUpperCase() + text.slice(1); }

  function num(x, digits, sign) {
    let text = Math.abs(x).toFixed(digits);
    if (state.lang === "nl") text = text.replace(".", ",");
    const zero = Number(Math.abs(x).toFixed(digits)) === 0;
    if (x < 0 && !zero) return "\u2212" + text;
    return (sign && x > 0 && !zero ? "+" : "") + text;
  }
  function pct(p) { return num(100 * p, 0, false) + "%"; }
  function range(s) { return fill(t("brief_interval"), { low: pct(s.q05), high: pct(s.q95) }); }
  function label(f) { return f.label[state.lang] || f.id; }
  function goal(phase) { return t("voice_goal_" + phase); }
  function doText(k) {  // what to do (the codebook's action), with the factor's label in brackets
    const action = F[k].action ? F[k].action[state.lang] : "";
    if (!action) return fill(t("action_generated"), { label: label(F[k]) }) + " (" + t("explore_generated") + ")";
    return action.replace(/\.$/, "") + " (" + label(F[k]) + ")";
  }
  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }

  // ------------------------------------------------------------------ the page

  const selects = [];
  let last = null, spoken = null;

  function who(result) {
    const i = state.start === "" ? -1 : Number(state.start);
    const name = i >= 0 ? P.cases[i].name : t("explore_new_name");
    const n = result.changed ? result.changed.length : countChanged();
    if (!n) return i >= 0 ? fill(t("explore_as_start"), { name: name }) : t("explore_as_new");
    return sentence(fill(n === 1 ? t("explore_with_changes_one") : t("explore_with_changes_many"), { name: name, n: n }));
  }

  function countChanged() { return state.codes.filter((code, k) => code !== initial[k]).length; }

  // a known window stays said as known unless the changes move it (by half a point or more)
  function moves(w) { return !w.known || (w.after !== null && Math.abs(w.after.mean - (w.known === "open" ? 1 : 0)) >= MIN_STEP); }

  function windowText(w) {
    if (w.known && !moves(w)) return sentence(t("voice_known_" + w.phase + "_" + w.known)) + ".";
    if (w.known) return sentence(t("voice_known_" + w.phase + "_" + w.known)) + ". " +
      fill(t("explore_known_after"), { goal: goal(w.phase), after: pct(w.after.mean), range: range(w.after) });
    if (countChanged() && w.after.mean !== w.before.mean) {
      return fill(t("explore_before_after"), { goal: goal(w.phase), before: pct(w.before.mean), after: pct(w.after.mean),
                                               range: range(w.after) });
    }
    return sentence(fill(t("voice_chance"), { goal: goal(w.phase), p: pct(w.after.mean), range: range(w.after) })) + ".";
  }

  function showResults(announce) {
    last = compute(state.start === "" ? null : Number(state.start), state.codes.slice(), state.group);
    document.getElementById("who").textContent = who(last);
    const list = document.getElementById("windows");
    list.replaceChildren();
    for (const w of last.windows) {  // phase 1 before phase 2
      const item = el("li");
      item.append(el("strong", t("voice_card_" + w.phase)), el("br"), document.createTextNode(windowText(w)));
      list.append(item);
    }
    const target = last.target === null ? null : Number(last.target[1]);
    const closed = target !== null && last.windows.some(w => w.phase === target && w.known === "closed") &&
                   !countChanged();
    document.getElementById("next-text").textContent = target === null ? sentence(t("voice_both_open")) + "."
                                                                          : t("explore_next_" + target);
    const steps = document.getElementById("steps"), found = document.getElementById("find-out");
    steps.replaceChildren();
    found.replaceChildren();
    const useful = last.levers.filter(l => l.gain.mean >= MIN_STEP).slice(0, P.top_levers);
    document.getElementById("steps-title").hidden = target === null;
    if (target !== null && !useful.length) steps.append(el("li", fill(t("explore_no_step"), { goal: goal(target) })));
    for (const l of useful) {
      steps.append(el("li", fill(closed ? t("explore_step_closed") : t("explore_step"), {
        do: doText(l.index), goal: goal(target), now: pct(l.now.mean), with_step: pct(l.with_step.mean) })));
    }
    const unknown = last.find_out_first.filter(l => l.gain.mean >= MIN_FIND_OUT).slice(0, P.top_levers);
    document.getElementById("find-out-box").hidden = !unknown.length;
    const reading = P.options.not_discussed === "zero" ? t("explore_find_out_if0") : t("explore_find_out_unsure");
    for (const l of unknown) {
      found.append(el("li", fill(reading, { do: doText(l.index), goal: goal(target), with_step: pct(l.with_step.mean) })));
    }
    selects.forEach((select, k) => select.parentNode.classList.toggle("changed", state.codes[k] !== initial[k]));
    marks();
    document.getElementById("prior-status").textContent = priorText();
    document.getElementById("csv").value = profileCsv();
    speak(announce);
  }

  // each cell of the chosen case that is still not discussed carries what asking about it is worth for the
  // case's own advice, computed in Python on all draws (analysis.explore_data.worth_marks) for the case as coded
  function marks() {
    const i = state.start === "" ? -1 : Number(state.start);
    const worth = i >= 0 ? (P.cases[i].worth || {}) : {};
    selects.forEach((select, k) => {
      const row = select.parentNode;
      const old = row.querySelector(".worth");
      if (old) old.remove();
      const w = worth[F[k].id];
      if (!w || state.codes[k] !== null) return;
      const badge = el("span", t("explore_worth_" + w.level), "worth worth-" + w.level);
      badge.title = fill(t("explore_worth_title"), { p: pct(w.p_lever_change),
        reduction: num(100 * w.expected_reduction, 1, false), order: String(w.order) });
      badge.dataset.factor = F[k].id;
      badge.dataset.level = w.level;
      badge.dataset.order = String(w.order);
      badge.dataset.p = String(w.p_lever_change);
      badge.dataset.reduction = String(w.expected_reduction);
      row.append(badge);
    });
  }

  // the one polite live region hears only what changed: the chances that moved (or the new start)
  function speak(announce) {
    const heard = last.windows.map(w => moves(w) ? pct(w.after.mean) : w.known);
    if (announce === "start") {
      say(document.getElementById("who").textContent);
    } else if (announce && spoken) {
      const moved = last.windows.filter((w, j) => heard[j] !== spoken[j]);
      say(moved.length ? moved.map(w => moves(w) ? fill(t("explore_announce_window"), { goal: goal(w.phase),
                                                                                     after: pct(w.after.mean) })
                                                : windowText(w)).join(" ")
                       : t("explore_announce_none"));
    }
    spoken = heard;
  }

  function say(text) { document.getElementById("announce").textContent = text; }

  // the prior-driven flags of the codes-only chances, measured in Python on all draws: for the analysts,
  // only while the profile is a reference case or the new one as it started
  function priorText() {
    if (!P.prior_checks.length) return "";
    const edited = state.codes.some((code, k) => code !== initial[k]) || state.group !== initialGroup || state.recounted;
    if (edited) return t("explore_prior_edited");
    const flags = state.start === "" ? P.empty_prior_driven : P.cases[Number(state.start)].prior_driven;
    const names = P.prior_checks.map(name => t("score_check_" + name)).join(", ");
    return flags.p_w1 || flags.p_w2 ? fill(t("score_note_prior"), { checks: names }) : "";
  }

  let initial = new Array(K).fill(null), initialGroup = -1;

  function start(value) {
    state.start = value === "" || value === null ? "" : String(value);
    const i = state.start === "" ? -1 : Number(state.start);
    document.getElementById("start").value = state.start;
    const c = i >= 0 ? P.cases[i] : null;
    state.codes = c ? c.codes.slice() : new Array(K).fill(null);
    state.counts = c && c.counts ? c.counts.map(r => r.slice()) : null;
    state.group = c ? c.group : -1;
    initial = state.codes.slice();
    initialGroup = state.group;
    state.recounted = false;
    selects.forEach((select, k) => {
      // a change is a step taken: a discussed cell cannot become "not discussed" again
      select.querySelector('option[value="nd"]').disabled = initial[k] !== null;
      select.value = state.codes[k] === null ? "nd" : String(state.codes[k]);
    });
    document.getElementById("group").value = String(state.group);
    document.getElementById("group").disabled = i >= 0;  // a reference case keeps its own group
    showResults("start");
  }

  function setCode(k, value) {
    const code = value === "nd" ? null : Number(value);
    if (code === null && initial[k] !== null) { selects[k].value = String(state.codes[k]); return; }
    if (state.counts) state.recounted = true;  // the copied profile holds one respondent's code there
    state.codes[k] = code;
    showResults(true);
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
    const done = message => { status.textContent = message; say(message); };
    const fallback = () => {
      const area = document.getElementById("csv");
      area.value = text;
      area.select();
      let ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      done(ok ? t("explore_copied") : t("explore_copy_failed"));
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(() => done(t("explore_copied")), fallback);
    } else fallback();
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
    groupSelect.addEventListener("change", () => { state.group = Number(groupSelect.value); showResults(true); });
    const box = document.getElementById("factor-groups");
    for (let p = 0; p < 2; p++) {
      for (let s = 0; s < 3; s++) {
        if (!members[p][s].length) continue;
        const fieldset = el("fieldset");
        fieldset.append(el("legend"));
        fieldset.dataset.phase = String(p + 1);
        fieldset.dataset.stream = P.streams[s];
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
      showResults(false);
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
    set("results-title", t("explore_results"));
    set("next-title", t("voice_head_next"));
    set("steps-title", t("explore_steps_title"));
    set("find-out-title", t("voice_head_find_out"));
    set("find-out-intro", t("explore_find_out_intro"));
    set("caution", sentence(t("voice_caution")) + ".");
    set("factors-title", t("explore_factors"));
    set("factors-help", t("explore_factors_help"));
    set("analysts-title", t("explore_analysts"));
    set("copy", t("explore_copy"));
    set("csv-label", t("explore_csv"));
    document.getElementById("lang-toggle").lang = state.lang === "nl" ? "en" : "nl";
    document.getElementById("intro").textContent = t("explore_intro");
    document.getElementById("analysts-text").textContent = fill(t("explore_analysts_text"), {
      draws: String(N), total: String(P.n_samples), dataset: P.dataset });
    document.getElementById("notes").textContent = [t("explore_nd_" + OPT.not_discussed), t("score_note_causal"),
                                                     t("explore_prior_note")].join(" ");
    document.getElementById("start").options[0].textContent = t("explore_empty");
    document.getElementById("group").options[0].textContent = t("explore_no_group");
    document.getElementById("copy-status").textContent = "";
    say("");  // nothing said in the other language stays behind
    document.querySelectorAll("fieldset").forEach(fs => {
      fs.querySelector("legend").textContent = t("explore_group_" + fs.dataset.phase + "_" + fs.dataset.stream);
    });
    const values = { nd: t("explore_code_nd"), "-1": t("explore_code_minus"), "0": t("explore_code_zero"),
                     "1": t("explore_code_plus") };
    selects.forEach((select, k) => {
      const name = select.parentNode.querySelector("label");
      name.textContent = label(F[k]);
      if (F[k].no_data) name.append(" ", el("span", "(" + t("explore_no_data") + ")", "nodata"));
      if (F[k].context) name.append(" ", el("span", "(" + t("explore_context") + ")", "nodata"));
      for (const option of select.options) option.textContent = values[option.value];
    });
  }

  build();
  words();
  const tDom = performance.now();
  start("");
  const tNumbers = performance.now();

  // a hook for the tests (and the curious): raw numbers of any start and codes, and how long the first numbers took
  window.bayesstreamsExplore = {
    whatIf: (startIndex, codes, group) => compute(startIndex, codes, group === undefined ? -1 : group),
    current: () => last,
    start: start,
    setCode: (k, value) => { selects[k].value = value === null ? "nd" : String(value); setCode(k, selects[k].value); },
    csv: profileCsv,
    timing: { script_start_ms: T0, first_numbers_ms: tNumbers, compute_ms: tNumbers - tDom }
  };
})();
