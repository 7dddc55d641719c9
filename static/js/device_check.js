// The technical check: measures, then lets the server decide. Nothing here says "passed".
(function () {
  "use strict";
  var L = JSON.parse(document.getElementById("device-labels").textContent);
  var csrf = (document.cookie.match(/(?:^|; )csrftoken=([^;]*)/) || [])[1] || "";
  var $ = function (id) { return document.getElementById(id); };
  var measured = {};
  var beeps = 0;

  function post(url, body) {
    return fetch(url, { method: "POST", credentials: "same-origin", body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", "X-CSRFToken": decodeURIComponent(csrf) } })
      .then(function (r) { return r.json(); });
  }

  function camera() {
    return navigator.mediaDevices.getUserMedia({ video: true }).then(function (media) {
      var settings = media.getVideoTracks()[0].getSettings();
      measured.camera_width = settings.width || 0;
      media.getTracks().forEach(function (t) { t.stop(); });
    }).catch(function () { measured.camera_width = 0; });
  }

  function microphone() {
    return navigator.mediaDevices.getUserMedia({ audio: true }).then(function (media) {
      var context = new AudioContext();
      var analyser = context.createAnalyser();
      context.createMediaStreamSource(media).connect(analyser);
      var samples = new Float32Array(analyser.fftSize);
      var peak = 0;
      return new Promise(function (resolve) {
        var end = performance.now() + 2000;
        (function measure() {
          analyser.getFloatTimeDomainData(samples);
          for (var i = 0; i < samples.length; i++) peak = Math.max(peak, Math.abs(samples[i]));
          if (performance.now() < end) { requestAnimationFrame(measure); return; }
          media.getTracks().forEach(function (t) { t.stop(); });
          context.close();
          measured.microphone_peak = peak;
          resolve();
        })();
      });
    }).catch(function () { measured.microphone_peak = 0; });
  }

  function connection(payloadUrl) {
    var trips = [];
    function ping(n) {
      if (!n) return Promise.resolve();
      var start = performance.now();
      return fetch("/test/device-check/ping/", { credentials: "same-origin", cache: "no-store" })
        .then(function () { trips.push(Math.round(performance.now() - start)); return ping(n - 1); });
    }
    return ping(5).then(function () {
      measured.round_trips_ms = trips;
      var start = performance.now();
      return fetch(payloadUrl, { credentials: "same-origin", cache: "no-store" })
        .then(function (r) { return r.arrayBuffer(); })
        .then(function () { measured.download_ms = Math.round(performance.now() - start); });
    });
  }

  function playBeeps(count) {
    var context = new AudioContext();
    for (var i = 0; i < count; i++) {
      var oscillator = context.createOscillator();
      oscillator.frequency.value = 660;
      oscillator.connect(context.destination);
      oscillator.start(context.currentTime + i * 0.6);
      oscillator.stop(context.currentTime + i * 0.6 + 0.25);
    }
    return new Promise(function (resolve) { setTimeout(resolve, count * 600 + 300); });
  }

  $("run-check").addEventListener("click", function () {
    $("run-check").disabled = true;
    $("check-results").replaceChildren();
    $("check-status").textContent = L.running;
    measured = {};
    post("/test/api/device-check/start/", {}).then(function (start) {
      beeps = start.beeps;
      return camera().then(microphone).then(function () { return connection(start.payload_url); })
        .then(function () { return playBeeps(beeps); });
    }).then(function () {
      $("beep-question").hidden = false;
      $("beeps-heard").focus();
    });
  });

  $("send-check").addEventListener("click", function () {
    measured.beeps_heard = parseInt($("beeps-heard").value, 10);
    post("/test/api/device-check/", measured).then(function (reply) {
      $("beep-question").hidden = true;
      $("run-check").disabled = false;
      $("check-status").textContent = reply.passed ? L.passed : L.failed;
      Object.keys(reply.results || {}).forEach(function (name) {
        var row = document.createElement("li");
        row.className = reply.results[name] ? "ok" : "problem";
        row.textContent = L[name] + ": " + (reply.results[name] ? L.ok : L.problem);
        $("check-results").appendChild(row);
      });
    });
  });
})();
