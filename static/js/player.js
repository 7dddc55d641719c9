// The test player. The server chooses every question and keeps every clock; this script
// shows them, sends answers, and keeps unsent answers in the browser while offline.
(function () {
  "use strict";
  var root = document.getElementById("player");
  var L = JSON.parse(document.getElementById("player-labels").textContent);
  var csrf = root.dataset.csrf;
  // One outbox per attempt: on a shared computer nobody's answers reach another's test.
  var OUTBOX = "langcert-test-outbox-" + root.dataset.attempt;
  var PAUSE_SECONDS = 3;
  var $ = function (id) { return document.getElementById(id); };

  var current = null;      // the question on screen
  var rendered = null;     // LangCertItems handle
  var deadlineAt = 0;      // local clock (ms) when the question closes
  var startedAt = null;    // test start, for the elapsed time
  var tick = null;
  var lastSkill = null;

  // --- Talking to the server, with an outbox for when the connection is down ----------
  function send(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
    }).then(function (response) {
      return response.json().catch(function () {
        return { error: response.status === 403 ? "signed_out" : "server" };
      });
    });
  }

  function queued() { return JSON.parse(localStorage.getItem(OUTBOX) || "[]"); }
  function setQueued(list) { localStorage.setItem(OUTBOX, JSON.stringify(list)); }

  // Sends the oldest queued request; the reply drives the screen. A request the server
  // answered, even with a refusal, leaves the queue; only a lost connection keeps it.
  function flush() {
    var list = queued();
    if (!list.length) return Promise.resolve(null);
    var request = list[0];
    return send(request.url, request.body).then(function (reply) {
      setQueued(queued().slice(1));
      $("connection").hidden = true;
      return list.length > 1 ? flush() : reply;
    }, function () {
      $("connection").hidden = false;
      return null;
    });
  }

  function uuid4() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
  }

  // Queue a request and send it; the reply is shown once `after` (a pause) is over.
  function deliver(url, body, after) {
    setQueued(queued().concat([{ url: url, body: body, at: Date.now() }]));
    return Promise.all([flush(), after]).then(function (results) {
      if (results[0]) handle(results[0]);
    });
  }

  window.addEventListener("online", function () {
    logEvent("online");
    flush().then(function (reply) { if (reply) handle(reply); });
  });
  window.addEventListener("offline", function () { $("connection").hidden = false; });

  function logEvent(kind, data) {
    send("/test/api/event/", { kind: kind, data: data || {} }).catch(function () {});
  }
  document.addEventListener("visibilitychange", function () {
    if (document.hidden && current) logEvent("focus_lost", { question: current.number });
  });
  window.addEventListener("blur", function () {
    if (current) logEvent("focus_lost", { question: current.number });
  });
  document.addEventListener("fullscreenchange", function () {
    $("fullscreen").hidden = !!document.fullscreenElement;
    if (!document.fullscreenElement && current) logEvent("fullscreen_exit", { question: current.number });
  });

  // --- Screens ---------------------------------------------------------------------------
  function only(id) {
    ["headphones", "question", "pause", "confirm", "stopped"].forEach(function (name) {
      $(name).hidden = name !== id;
    });
    document.querySelector(".timer").hidden = id !== "question";
    document.querySelector(".player-bar").hidden = id === "confirm" || id === "stopped";
    if (id !== "question" && id !== "pause") $("q-number").textContent = "";
  }

  function notice(text) {
    $("notice").textContent = text || "";
    $("notice").hidden = !text;
  }

  function handle(reply) {
    if (reply.error) {
      if (reply.error === "signed_out") { window.location = "/test/"; return; }
      if (reply.error === "already_answered" || reply.error === "unknown_question") {
        return send("/test/api/begin/", { reloaded: false }).then(handle);
      }
      notice(reply.message || L.error);
      return;
    }
    if (reply.started_at) startedAt = new Date(reply.started_at).getTime();
    notice(reply.restarted ? L.restarted : "");
    if (reply.status === "question") return showQuestion(reply.question);
    if (reply.status === "finished") return showConfirm();
    if (reply.status === "submitted") return showSent();
    if (reply.status === "stopped") { stopClock(); only("stopped"); }
  }

  function showQuestion(question) {
    if (question.skill === "listening" && lastSkill !== "listening") {
      lastSkill = "listening";
      stopClock();
      only("headphones");
      $("headphones-ok").onclick = function () { showQuestion(question); };
      return;
    }
    lastSkill = question.skill;
    current = question;
    $("q-number").textContent = L.question + " " + question.number;
    $("q-section").textContent = L.section.replace("%(n)s", question.section)
      .replace("%(total)s", question.sections) + " · " + question.skill_label + " · "
      + question.position + "/" + question.per_section;
    rendered = LangCertItems.render($("item"), question.type, question.presentation,
      { labels: L.item });
    $("listening").hidden = question.type !== "listening";
    if (question.type === "listening") showPlays(question.plays_left, false);
    $("validate").disabled = false;
    deadlineAt = Date.now() + question.remaining_ms;
    only("question");
    startClock(question.time_limit * 1000);
    var first = $("item").querySelector("input, select, button");
    if (first) first.focus();
  }

  function showPlays(left, playing) {
    $("plays-left").textContent = L.plays_left.replace("%(n)s", left);
    $("play").disabled = playing || left <= 0;
  }

  // Each play asks the server for a single-use link; the server refuses a third one.
  $("play").addEventListener("click", function () {
    var question = current;
    $("play").disabled = true;
    send("/test/api/play/", { question: question.id }).then(function (reply) {
      if (reply.error) { notice(reply.message); return; }
      question.plays_left -= 1;
      showPlays(question.plays_left, true);
      return fetch(reply.url, { credentials: "same-origin" }).then(function (r) { return r.blob(); })
        .then(function (clip) {
          var audio = new Audio(URL.createObjectURL(clip));
          var done = function () { if (current === question) showPlays(question.plays_left, false); };
          audio.onended = done;
          audio.play().catch(done);
        });
    });
  });

  // --- Time: the bar is green for the first half, then yellow, then red -----------------
  function startClock(totalMs) {
    stopClock();
    var bar = $("timer-bar");
    tick = setInterval(function () {
      var left = deadlineAt - Date.now();
      var share = Math.max(0, left) / totalMs;
      bar.style.width = (share * 100).toFixed(1) + "%";
      bar.className = "timer-bar " + (share > 0.5 ? "green" : share > 0.2 ? "yellow" : "red");
      if (startedAt) $("q-elapsed").textContent = clockText(Date.now() - startedAt);
      if (left <= 0) timeUp();
    }, 200);
  }

  function stopClock() { if (tick) clearInterval(tick); tick = null; }

  function clockText(ms) {
    var s = Math.floor(ms / 1000);
    return Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2);
  }

  function timeUp() {
    stopClock();
    rendered.disable();
    $("validate").disabled = true;
    submitAnswer(null);
  }

  // --- Answering --------------------------------------------------------------------------
  $("validate").addEventListener("click", function () {
    stopClock();
    rendered.disable();
    $("validate").disabled = true;
    submitAnswer(rendered.answer());
  });

  function submitAnswer(answer) {
    var question = current;
    current = null;
    var body = { question: question.id, answer: answer, key: uuid4() };
    // Time ran out: the question closes at once and the next one comes 3 seconds later.
    var pause = answer === null ? new Promise(function (resolve) {
      only("pause");
      countdown(PAUSE_SECONDS, resolve);
    }) : null;
    deliver("/test/api/answer/", body, pause);
  }

  function countdown(seconds, done) {
    $("pause-text").textContent = L.time_up.replace("%(n)s", seconds);
    if (seconds <= 0) { done(); return; }
    setTimeout(function () { countdown(seconds - 1, done); }, 1000);
  }

  // Full screen needs a click; leaving it afterwards is logged for review.
  $("fullscreen").addEventListener("click", function () {
    if (document.documentElement.requestFullscreen) document.documentElement.requestFullscreen();
  });
  $("restart-section").addEventListener("click", function () {
    if (!window.confirm(L.confirm_restart)) return;
    stopClock();
    send("/test/api/restart/", {}).then(handle, function () { $("connection").hidden = false; });
  });

  // --- Sending the test ----------------------------------------------------------------------
  function showConfirm() {
    stopClock();
    current = null;
    only("confirm");
    $("confirm-word").focus();
    $("send-state").textContent = queued().length ? L.waiting : L.not_sent;
  }

  $("send").addEventListener("click", function () {
    var word = $("confirm-word").value.trim().toUpperCase();
    if (L.confirm_words.indexOf(word) < 0) {
      $("confirm-error").textContent = L.type_word.replace("%(word)s", L.confirm_word);
      $("confirm-error").hidden = false;
      return;
    }
    $("confirm-error").hidden = true;
    $("send-state").textContent = L.sending;
    deliver("/test/api/submit/", { confirmation: word }).then(function () {
      if (queued().length) $("send-state").textContent = L.waiting;
    });
  });

  function showSent() {
    stopClock();
    only("confirm");
    $("send-state").textContent = L.sent;
    $("send-state").className = "badge sent";
    $("send").disabled = true;
    $("confirm-word").disabled = true;
    $("not-yet").textContent = L.back_home;
  }

  // --- Start: every page load counts as a reload; the server restarts a section in progress.
  flush().then(function (reply) {
    if (reply && reply.status === "submitted") return handle(reply);
    return send("/test/api/begin/", { reloaded: true }).then(handle, function () {
      $("connection").hidden = false;
    });
  });
})();
