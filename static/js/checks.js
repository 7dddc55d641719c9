// The checks before the test: rules, face photo, ID photo, microphone. Each step can be
// retried; the server decides whether a step passed.
(function () {
  "use strict";
  var labels = JSON.parse(document.getElementById("check-labels").textContent);
  var csrf = document.querySelector("[name=csrfmiddlewaretoken]") ?
    document.querySelector("[name=csrfmiddlewaretoken]").value : getCookie("csrftoken");

  function getCookie(name) {
    var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }

  function post(url, body, type) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", body: body,
      headers: { "X-CSRFToken": csrf, "Content-Type": type || "application/json" },
    }).then(function (response) { return response.json(); });
  }

  function show(step) {
    document.querySelectorAll("section.check").forEach(function (section) {
      section.hidden = section.id !== "step-" + step;
    });
    document.querySelectorAll("#check-steps li").forEach(function (item) {
      item.classList.toggle("current", item.dataset.step === step);
    });
    if (step === "face" || step === "id") startCamera(step);
  }

  function say(section, text) {
    var alert = section.querySelector(".alert");
    alert.textContent = text || "";
    alert.hidden = !text;
  }

  // Rules
  var rulesOk = document.getElementById("rules-ok");
  var rulesNext = document.getElementById("rules-next");
  function rulesState() { rulesNext.disabled = !rulesOk.checked; }
  rulesOk.addEventListener("change", rulesState);
  rulesState();
  rulesNext.addEventListener("click", function () {
    post("/test/api/rules/", "{}").then(function () { show("face"); });
  });

  // Photos
  var stream = null;
  function startCamera(step) {
    var section = document.getElementById("step-" + step);
    var video = section.querySelector("video");
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      say(section, labels.no_camera);
      return;
    }
    (stream ? Promise.resolve(stream) : navigator.mediaDevices.getUserMedia({ video: true }))
      .then(function (media) { stream = media; video.srcObject = media; say(section, ""); })
      .catch(function () { say(section, labels.no_camera); });
  }

  function photoStep(step, next) {
    var section = document.getElementById("step-" + step);
    var video = section.querySelector("video");
    var image = section.querySelector("img");
    var buttons = {};
    section.querySelectorAll("[data-action]").forEach(function (b) { buttons[b.dataset.action] = b; });
    buttons.capture.addEventListener("click", function () {
      if (!video.videoWidth) { startCamera(step); return; }
      var canvas = document.createElement("canvas");
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      canvas.getContext("2d").drawImage(video, 0, 0);
      canvas.toBlob(function (blob) {
        post("/test/api/photo/" + step + "/", blob, "image/jpeg").then(function (result) {
          if (!result.ok) { say(section, result.message); return; }
          image.src = canvas.toDataURL("image/jpeg", 0.8);
          image.hidden = false; video.hidden = true;
          buttons.capture.hidden = true; buttons.retake.hidden = false; buttons.next.hidden = false;
        }).catch(function () { say(section, labels.network); });
      }, "image/jpeg", 0.85);
    });
    buttons.retake.addEventListener("click", function () {
      image.hidden = true; video.hidden = false;
      buttons.capture.hidden = false; buttons.retake.hidden = true; buttons.next.hidden = true;
    });
    buttons.next.addEventListener("click", function () { show(next); });
  }
  photoStep("face", "id");
  photoStep("id", "mic");

  // Microphone: record 3 seconds, show the level, play it back, let the server decide.
  var micSection = document.getElementById("step-mic");
  var meter = document.getElementById("mic-level");
  var playback = document.getElementById("mic-playback");
  var recordButton = micSection.querySelector("[data-action=record]");
  var doneLink = micSection.querySelector("[data-action=done]");
  var status = micSection.querySelector(".message");
  recordButton.addEventListener("click", function () {
    if (!navigator.mediaDevices || !window.MediaRecorder) { say(micSection, labels.no_microphone); return; }
    navigator.mediaDevices.getUserMedia({ audio: true }).then(function (media) {
      say(micSection, "");
      recordButton.disabled = true;
      var context = new (window.AudioContext || window.webkitAudioContext)();
      var analyser = context.createAnalyser();
      context.createMediaStreamSource(media).connect(analyser);
      var samples = new Float32Array(analyser.fftSize);
      var peak = 0;
      var started = performance.now();
      var recorder = new MediaRecorder(media);
      var chunks = [];
      recorder.ondataavailable = function (e) { chunks.push(e.data); };
      function measure() {
        analyser.getFloatTimeDomainData(samples);
        var level = 0;
        for (var i = 0; i < samples.length; i++) level = Math.max(level, Math.abs(samples[i]));
        peak = Math.max(peak, level);
        meter.value = level;
        if (recorder.state === "recording") requestAnimationFrame(measure);
      }
      recorder.onstop = function () {
        media.getTracks().forEach(function (t) { t.stop(); });
        context.close();
        playback.src = URL.createObjectURL(new Blob(chunks, { type: recorder.mimeType }));
        playback.hidden = false;
        var body = JSON.stringify({ peak_level: peak, duration_ms: Math.round(performance.now() - started) });
        post("/test/api/microphone/", body).then(function (result) {
          recordButton.disabled = false;
          if (result.ok) {
            status.textContent = labels.mic_ok; status.hidden = false; doneLink.hidden = false;
          } else {
            say(micSection, result.message);
          }
        });
      };
      recorder.start();
      measure();
      setTimeout(function () { recorder.stop(); }, 3000);
    }).catch(function () { say(micSection, labels.no_microphone); });
  });

  show("rules");
})();
