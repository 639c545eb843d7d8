// Blind ABX runner for fxcore's listening page: plain JavaScript, inlined, no network.
// Each trial: A and B are the effect and the model in random order, X is one of them at random.
// Score k of N; one-sided binomial p = P(K >= k | N, 1/2): the chance of doing this well by guessing.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("abx-data").textContent);
  var N = data.trials;
  var KEY = "fxcore-abx-" + data.effect;
  var $ = function (id) { return document.getElementById(id); };
  var trials = [], answers = [], current = 0, started = "";

  // Only one player sounds at a time: starting one pauses every other.
  document.addEventListener("play", function (e) {
    var all = document.getElementsByTagName("audio");
    for (var i = 0; i < all.length; i++) { if (all[i] !== e.target) { all[i].pause(); } }
  }, true);

  function pValue(k, n) {  // exact sum of C(n, j) / 2^n for j = k..n
    var term = Math.pow(0.5, n), sum = 0;
    for (var j = 0; j <= n; j++) {
      if (j >= k) { sum += term; }
      term = term * (n - j) / (j + 1);
    }
    return Math.min(1, sum);
  }

  function plan() {
    trials = [];
    for (var t = 0; t < N; t++) {
      var ex = data.excerpts[t % data.excerpts.length];
      var aIsEffect = Math.random() < 0.5, xIsA = Math.random() < 0.5;
      var a = aIsEffect ? "effect" : "model", b = aIsEffect ? "model" : "effect";
      trials.push({excerpt: ex.name, files: ex.files, a: a, b: b, x: xIsA ? a : b});
    }
  }

  function show(t) {
    var tr = trials[t];
    $("abx-a").src = tr.files[tr.a];
    $("abx-b").src = tr.files[tr.b];
    $("abx-x").src = tr.files[tr.x];
    $("abx-trial").textContent = "Trial " + (t + 1) + " of " + N + " (excerpt: " + tr.excerpt + ")";
  }

  function start() {
    plan();
    answers = [];
    current = 0;
    started = new Date().toISOString();
    $("abx-result").hidden = true;
    $("abx-run").hidden = false;
    show(0);
  }

  function answer(said) {
    var tr = trials[current];
    var truth = tr.x === tr.a ? "A" : "B";
    answers.push({trial: current + 1, excerpt: tr.excerpt, a: tr.a, b: tr.b, x: tr.x,
                  answer: said, correct: said === truth});
    current += 1;
    if (current < N) { show(current); } else { finish(); }
  }

  function finish() {
    var k = answers.filter(function (a) { return a.correct; }).length;
    var p = pValue(k, N);
    var result = {effect: data.effect, model: data.model, trials: N, correct: k, p_value: p,
                  level_lufs: data.level_lufs, started: started, finished: new Date().toISOString(),
                  answers: answers};
    var all = document.getElementsByTagName("audio");
    for (var i = 0; i < all.length; i++) { all[i].pause(); }
    $("abx-run").hidden = true;
    $("abx-result").hidden = false;
    var score = $("abx-score");
    score.textContent = k + " / " + N + " correct";
    score.dataset.k = k;
    score.dataset.n = N;
    var pv = $("abx-p");
    pv.textContent = "p = " + p.toPrecision(3);
    pv.dataset.p = p;
    $("abx-verdict").textContent = p < 0.05
      ? "p < 0.05: you can tell the model from the effect."
      : "p ≥ 0.05: no evidence that you can tell them apart in this run.";
    var text = JSON.stringify(result, null, 2);
    var link = $("abx-download");
    if (link.href && link.href.indexOf("blob:") === 0) { URL.revokeObjectURL(link.href); }
    link.href = URL.createObjectURL(new Blob([text], {type: "application/json"}));
    link.download = "abx-" + data.effect + "-" + result.finished.replace(/[:.]/g, "-") + ".json";
    var kept = $("abx-kept");
    try {  // file:// pages share one localStorage per browser profile; it may also be disabled
      var runs = JSON.parse(localStorage.getItem(KEY) || "[]");
      runs.push(result);
      localStorage.setItem(KEY, JSON.stringify(runs));
      kept.textContent = "Kept in this browser's localStorage under \"" + KEY + "\" (" + runs.length + " run(s)).";
    } catch (err) {
      kept.textContent = "localStorage is not available here: download the answers to keep them.";
    }
  }

  $("abx-is-a").addEventListener("click", function () { answer("A"); });
  $("abx-is-b").addEventListener("click", function () { answer("B"); });
  $("abx-restart").addEventListener("click", start);
  start();
})();
